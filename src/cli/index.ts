#!/usr/bin/env node
/**
 * credbridge — command line for templates and credentials.
 *   credbridge template validate FILE
 *   credbridge credential sample --template FILE --format ob3|elm [--learner FILE] --ephemeral [--sealed]
 *   credbridge credential verify FILE
 *   credbridge seal verify FILE [--anchors PEM_FILE]
 *   credbridge seal import|test|list --institution ID (an institution's eSeal: PKCS#12 or PEM, a test seal)
 *   credbridge institution create --id ID --name NAME --country CC --homepage URL [--admin USERNAME] ...
 *   credbridge institution list
 *   credbridge template import FILE --institution ID [--publish]
 *   credbridge admin create-user USERNAME [--institution ID] (password from the environment or stdin)
 *   credbridge admin remove-user USERNAME [--institution ID]
 *   credbridge keys rotate-kek --new-key-env NAME | keys status (re-seal stored secrets under a new KEK)
 * The first two never need MongoDB or Redis. `verify` is offline for did:key (recognised only when listed in
 * TRUSTED_ISSUERS); for this installation's did:web issuers it reads their keys, names and status lists from
 * MONGODB_URI. Its exit code: 0 verified, 3 signature valid but issuer not recognised, 1 anything else.
 */
import { textIn } from '../i18n/languages.js';
import { verifySeal } from '../seals/jades-verify.js';
import { sealCredential } from '../seals/jades-seal.js';
import { makeTestSeal } from '../seals/test-seal.js';
import { sealedPayload } from '../seals/sealed-document.js';
import { readTrustAnchors } from '../seals/trust-anchors.js';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { learnerSchema, type LearnerInput } from '../credentials/award.js';
import { generateDidKey } from '../credentials/did-key.js';
import { createDocumentLoader } from '../credentials/document-loader.js';
import { buildElmCredential } from '../credentials/elm.js';
import { buildOb3Credential } from '../credentials/ob3.js';
import { signCredential } from '../credentials/signer.js';
import {
  describeIssuer,
  issuerWarnings,
  trustedListRecogniser,
  verifyCredential,
  type VerifyOptions,
} from '../credentials/verifier.js';
import { envSchema } from '../config/env.js';
import { publishingProblems } from '../templates/elements.js';
import { adminCreateUser, adminRemoveUser } from './admin-user-command.js';
import { keysCommand } from './keys-command.js';
import { sealCommand } from './seal-command.js';
import { CommandError, institutionCommand, templateImportCommand } from './institution-command.js';
import { describeIssues } from '../i18n/problems.js';
import { templateSchema, type TemplateData } from '../templates/schema.js';

const USAGE = `usage:
  credbridge template validate FILE
  credbridge credential sample --template FILE --format ob3|elm [--learner FILE] --ephemeral
  credbridge credential verify FILE
  credbridge institution create --id ID --name NAME --country CC --homepage URL
      [--email ADDRESS] [--root-did] [--lti-admins] [--award-approval] [--admin USERNAME]
  credbridge institution list
  credbridge template import FILE --institution ID [--publish]
  credbridge admin create-user USERNAME [--institution ID]   (password from CREDBRIDGE_ADMIN_PASSWORD or stdin)
  credbridge admin remove-user USERNAME [--institution ID]
  credbridge keys rotate-kek --new-key-env NAME   (re-seal stored secrets under the key in $NAME)
  credbridge keys status
  credbridge seal verify FILE [--anchors PEM_FILE]
  credbridge seal import --institution ID (--pkcs12 FILE | --key FILE --certificates FILE)
      (a PKCS#12 file's password from SEAL_PASSWORD)
  credbridge seal test --institution ID   (a self-signed test seal, not qualified)
  credbridge seal list --institution ID
  credbridge seal revoke --institution ID --fingerprint X5T [--since ISO_TIME]   (a compromised seal key)`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  options: Map<string, string | true>;
}

/** `--name value` and `--flag`; everything else is positional. */
export function parseArgs(argv: string[], flags: string[] = []): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (flags.includes(name)) options.set(name, true);
    else {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    }
  }
  return { positional, options };
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} file ${file}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} file ${file} is not valid JSON`);
  }
}

/** Parses a template file; returns it with every problem that keeps it from being published. */
async function loadTemplate(file: string): Promise<{ template?: TemplateData; problems: string[] }> {
  const parsed = templateSchema.safeParse(await readJson(file, 'template'));
  if (!parsed.success) return { problems: describeIssues(parsed.error) };
  return { template: parsed.data, problems: publishingProblems(parsed.data) };
}

async function templateValidate(args: string[]): Promise<number> {
  const [file] = parseArgs(args).positional;
  if (!file) throw new UsageError('template validate needs a FILE');
  const { template, problems } = await loadTemplate(file);
  if (problems.length) {
    console.error(`${file}: not publishable, ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  process.stdout.write(
    `${file}: publishable template "${template!.key}" (${textIn(template!.title!, 'en')})\n`,
  );
  return 0;
}

const SAMPLE_LEARNER: LearnerInput = {
  fullName: 'Ana Andromeda',
  givenName: 'Ana',
  familyName: 'Andromeda',
  email: 'ana.andromeda@example.org',
};

async function credentialSample(args: string[]): Promise<number> {
  const { options } = parseArgs(args, ['ephemeral', 'sealed']);
  const templateFile = options.get('template');
  const format = options.get('format');
  if (typeof templateFile !== 'string') throw new UsageError('credential sample needs --template FILE');
  if (format !== 'ob3' && format !== 'elm') throw new UsageError('--format must be ob3 or elm');
  if (!options.has('ephemeral')) {
    throw new UsageError('credential sample signs only with a throwaway did:key: pass --ephemeral');
  }
  const { template, problems } = await loadTemplate(templateFile);
  if (!template || problems.length) {
    console.error(`${templateFile}: not publishable:`);
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  let learner = SAMPLE_LEARNER;
  const learnerFile = options.get('learner');
  if (typeof learnerFile === 'string') {
    const parsed = learnerSchema.safeParse(await readJson(learnerFile, 'learner'));
    if (!parsed.success) {
      console.error(`${learnerFile}: invalid learner:`);
      for (const p of describeIssues(parsed.error)) console.error(`  - ${p}`);
      return 1;
    }
    learner = parsed.data;
  }
  const key = await generateDidKey();
  const body = template.awardingBodies![0]!;
  const award = {
    template,
    issuer: { did: key.controller!, profile: body },
    learner,
    evidence: { grade: template.gradeShown ? '87%' : undefined },
    credentialId: randomUUID(),
  };
  const unsigned = format === 'ob3' ? buildOb3Credential(award) : buildElmCredential(award);
  if (options.has('sealed')) {
    if (format !== 'elm') throw new UsageError('--sealed is for --format elm (the European credential)');
    // A throwaway self-signed test seal of the awarding body: the file's form is a real seal's.
    const seal = await makeTestSeal(textIn(body.legalName, 'en') ?? 'Credbridge');
    process.stdout.write(`${JSON.stringify(await sealCredential(unsigned, seal), null, 2)}\n`);
    return 0;
  }
  const signed = await signCredential(unsigned, key, createDocumentLoader());
  process.stdout.write(`${JSON.stringify(signed, null, 2)}\n`);
  return 0;
}

/** Exit code of `credential verify` when every check but the issuer's holds: signed, but nobody here vouches. */
const EXIT_ISSUER_NOT_RECOGNISED = 3;

/** TRUSTED_ISSUERS as the processes read it (same validation); an invalid entry stops the command. */
function trustedIssuersFromEnv(): string[] {
  const parsed = envSchema.shape.TRUSTED_ISSUERS.safeParse(process.env.TRUSTED_ISSUERS || undefined);
  if (!parsed.success)
    throw new Error(`TRUSTED_ISSUERS: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/**
 * did:key needs nothing (recognised only through TRUSTED_ISSUERS); this installation's did:web issuers, their
 * names and status lists come from its database.
 */
async function verificationFor(
  credential: unknown,
): Promise<{ verification: VerifyOptions; close: () => Promise<void> }> {
  // A sealed credential names its issuer inside the payload the seal covers.
  const issuer = ((sealedPayload(credential) ?? credential) as { issuer?: unknown })?.issuer;
  const issuerId = typeof issuer === 'object' && issuer ? (issuer as { id?: unknown }).id : issuer;
  if (typeof issuerId === 'string' && issuerId.startsWith('did:web:') && process.env.MONGODB_URI) {
    const { installationVerifier } = await import('./installation.js');
    return installationVerifier();
  }
  const verification = {
    documentLoader: createDocumentLoader(),
    recogniseIssuer: trustedListRecogniser(trustedIssuersFromEnv()),
  };
  return { verification, close: async () => undefined };
}

const HEADLINES = {
  verified: 'VERIFIED',
  'issuer-not-recognised': 'SIGNATURE VALID, ISSUER NOT RECOGNISED',
  'not-verified': 'NOT VERIFIED',
} as const;

async function credentialVerify(args: string[]): Promise<number> {
  const [file] = parseArgs(args).positional;
  if (!file) throw new UsageError('credential verify needs a FILE');
  const credential = await readJson(file, 'credential');
  const { verification, close } = await verificationFor(credential);
  try {
    const result = await verifyCredential(credential, verification);
    process.stdout.write(`${HEADLINES[result.verdict]} (${result.format})\n`);
    if (result.issuer) process.stdout.write(`  issuer: ${describeIssuer(result.issuer)}\n`);
    for (const c of result.checks)
      process.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.message}\n`);
    for (const w of issuerWarnings(result.issuer)) process.stdout.write(`  warning: ${w}\n`);
    if (result.verdict === 'issuer-not-recognised') return EXIT_ISSUER_NOT_RECOGNISED;
    return result.verified ? 0 : 1;
  } finally {
    await close();
  }
}

/** A JAdES-sealed European credential: 0 sealed and trusted, 3 intact but not chained to an anchor, 1 refused. */
async function sealVerify(args: string[]): Promise<number> {
  const { positional, options } = parseArgs(args);
  const [file] = positional;
  if (!file) throw new UsageError('seal verify needs a FILE');
  const anchorsFile = options.get('anchors');
  const trustAnchors =
    typeof anchorsFile === 'string' ? readTrustAnchors(await readFile(anchorsFile, 'utf8')) : [];
  const verdict = await verifySeal(await readJson(file, 'sealed credential'), { trustAnchors });
  const headline = !verdict.ok
    ? 'Seal not valid'
    : verdict.trusted
      ? 'Seal valid, by a trusted certificate'
      : 'Seal valid, certificate not chained to a trust anchor';
  process.stdout.write(`${headline}\n`);
  if (verdict.signer)
    process.stdout.write(
      `  sealed by: ${verdict.signer.subject}\n  certificate issuer: ${verdict.signer.issuer}\n`,
    );
  for (const c of verdict.checks)
    process.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.message}\n`);
  if (!verdict.ok) return 1;
  return verdict.trusted ? 0 : EXIT_ISSUER_NOT_RECOGNISED;
}

export async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (group === 'template' && command === 'validate') return await templateValidate(rest);
    if (group === 'credential' && command === 'sample') return await credentialSample(rest);
    if (group === 'credential' && command === 'verify') return await credentialVerify(rest);
    if (group === 'seal' && command === 'verify') return await sealVerify(rest);
    if (group === 'seal' && ['import', 'test', 'list', 'revoke'].includes(command ?? ''))
      return await sealCommand(command!, parseArgs(rest).options);
    if (group === 'institution' && (command === 'create' || command === 'list'))
      return await institutionCommand(
        command,
        parseArgs(rest, ['root-did', 'lti-admins', 'award-approval']).options,
      );
    if (group === 'template' && command === 'import') {
      const { positional, options } = parseArgs(rest, ['publish']);
      return await templateImportCommand(positional[0], options);
    }
    if (group === 'admin' && (command === 'create-user' || command === 'remove-user')) {
      const { positional, options } = parseArgs(rest);
      const institution = options.get('institution');
      const scope = typeof institution === 'string' ? institution : undefined;
      return command === 'create-user'
        ? await adminCreateUser(positional[0], scope)
        : await adminRemoveUser(positional[0], scope);
    }
    if (group === 'keys' && (command === 'rotate-kek' || command === 'status'))
      return await keysCommand(command, parseArgs(rest).options);
    throw new UsageError(
      group ? `unknown command: ${[group, command].filter(Boolean).join(' ')}` : 'no command',
    );
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof CommandError) {
      console.error(err.message);
      return 1;
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
