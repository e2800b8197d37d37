import { readFile } from 'node:fs/promises';
import { ZodError } from 'zod';
import { loadConfig } from '../config/env.js';
import { connectDatabase, disconnectDatabase } from '../db/connection.js';
import '../db/models/index.js';
import {
  InstitutionConflictError,
  createInstitution,
  findInstitution,
  listInstitutions,
} from '../institutions/institutions.js';
import { createLogger } from '../log/logger.js';
import { requireEncryptionKey } from '../security/encryption.js';
import { describeIssues } from '../i18n/problems.js';
import { TemplateError, importTemplate, publishTemplate } from '../templates/lifecycle.js';
import { AccountError, createAdminUser, findAccount, inviteAdminUser } from '../accounts/accounts.js';
import { setupUrl } from '../accounts/setup-link.js';

export class CommandError extends Error {}

type Options = Map<string, string | true>;

function text(options: Options, name: string): string | undefined {
  const v = options.get(name);
  return typeof v === 'string' ? v : undefined;
}

async function withDatabase<T>(run: (config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await connectDatabase(config.MONGODB_URI, createLogger('cli', 'warn'));
  try {
    return await run(config);
  } finally {
    await disconnectDatabase();
  }
}

/** Problems of the input, each naming the field (the command's option where there is one). */
function inputProblems(err: unknown): string[] | undefined {
  if (err instanceof ZodError) return describeIssues(err);
  if (err instanceof InstitutionConflictError || err instanceof AccountError) return [err.message];
  if (err instanceof TemplateError) return err.problems.length ? err.problems : [err.message];
  return undefined;
}

/**
 * `credbridge institution create --id ID --name NAME --country CC --homepage URL [--email ADDRESS]
 *  [--root-did] [--lti-admins] [--award-approval] [--admin USERNAME]`: an institution, its issuer (did:web, a
 * first signing key sealed under KEY_ENCRYPTION_KEY) and its first administrator. The administrator's
 * password comes from CREDBRIDGE_ADMIN_PASSWORD; without it the command prints a one-time setup link.
 * `credbridge institution list`.
 */
export async function institutionCommand(command: string | undefined, options: Options): Promise<number> {
  if (command === 'list') {
    const institutions = await withDatabase(() => listInstitutions());
    for (const i of institutions) process.stdout.write(`${i._id}\t${i.name}\n`);
    if (!institutions.length) process.stdout.write('no institution yet: credbridge institution create\n');
    return 0;
  }
  const admin = text(options, 'admin')?.toLowerCase();
  try {
    return await withDatabase(async (config) => {
      const kek = requireEncryptionKey(config);
      // Checked first, so a taken username leaves no institution half made.
      if (admin && (await findAccount(admin))) throw new AccountError(`--admin: "${admin}" is already taken`);
      const { institution, issuer } = await createInstitution(
        {
          id: text(options, 'id') ?? '',
          profile: {
            legalName: { en: text(options, 'name') ?? '' },
            country: text(options, 'country') ?? '',
            homepage: text(options, 'homepage') ?? '',
            ...(text(options, 'email') ? { email: text(options, 'email') } : {}),
          },
          rootDid: options.has('root-did'),
          settings: {
            ltiAdminsAreAdmins: options.has('lti-admins'),
            manualAwardApproval: options.has('award-approval'),
          },
        },
        { publicUrl: config.PUBLIC_URL, kek },
      );
      process.stdout.write(`institution ${institution._id} created: issuer ${issuer.did}\n`);
      if (admin) {
        const password = process.env.CREDBRIDGE_ADMIN_PASSWORD;
        if (password) {
          await createAdminUser(admin, password, institution._id);
          process.stdout.write(`administrator ${admin} saved (password from CREDBRIDGE_ADMIN_PASSWORD)\n`);
        } else {
          const { token } = await inviteAdminUser(admin, institution._id);
          process.stdout.write(
            `administrator ${admin} invited: send them this one-time link to choose a password (72 h):\n` +
              `${setupUrl(config.PUBLIC_URL, token)}\n`,
          );
        }
      }
      return 0;
    });
  } catch (err) {
    const problems = inputProblems(err);
    if (!problems) throw err;
    throw new CommandError(
      `institution not created:\n${problems.map((p) => `  - ${optionName(p)}`).join('\n')}`,
    );
  }
}

/** Field paths of the profile read as the options that set them. */
function optionName(problem: string): string {
  return problem
    .replace(/^profile\.legalName\.en/, '--name')
    .replace(/^profile\.country/, '--country')
    .replace(/^profile\.homepage/, '--homepage')
    .replace(/^profile\.email/, '--email')
    .replace(/^id\b/, '--id')
    .replace(/^rootDid\b/, '--root-did');
}

/**
 * `credbridge template import FILE --institution ID [--publish]`: a template JSON as a new draft of the
 * institution (published at once with --publish, refused with every missing element named).
 */
export async function templateImportCommand(file: string | undefined, options: Options): Promise<number> {
  if (!file) throw new CommandError('template import needs a FILE');
  const institutionId = text(options, 'institution');
  if (!institutionId) throw new CommandError('template import needs --institution ID');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new CommandError(`cannot read template file ${file} as JSON`);
  }
  try {
    return await withDatabase(async () => {
      if (!(await findInstitution(institutionId)))
        throw new CommandError(`--institution: no institution "${institutionId}"`);
      const draft = await importTemplate(institutionId, json);
      let status = 'draft';
      if (options.has('publish'))
        status = (await publishTemplate(institutionId, draft.key, draft.version)).status;
      process.stdout.write(
        `template ${draft.key} v${draft.version} imported into ${institutionId} (${status})\n`,
      );
      return 0;
    });
  } catch (err) {
    const problems = inputProblems(err);
    if (!problems) throw err;
    throw new CommandError(`${file}: not imported:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
