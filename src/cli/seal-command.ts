import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/env.js';
import { connectDatabase, disconnectDatabase } from '../db/connection.js';
import { Refusal } from '../errors/refusal.js';
import { findInstitution } from '../institutions/institutions.js';
import { createLogger } from '../log/logger.js';
import {
  compromiseSeal,
  createTestSeal,
  importSeal,
  institutionSeals,
  summarizeSeal,
  type SealRecord,
} from '../seals/seals.js';
import { requireEncryptionKey } from '../security/encryption.js';

/** The password of a PKCS#12 file: from the environment variable SEAL_PASSWORD, never the command line. */
const PASSWORD_ENV = 'SEAL_PASSWORD';

function show(seal: SealRecord): string {
  const s = summarizeSeal(seal);
  const label = s.test ? 'test seal, not qualified' : s.qualified ? 'qualified' : 'not qualified';
  const warning =
    s.warning === 'expired' ? ', EXPIRED' : s.warning === 'expiring' ? `, expires in ${s.daysLeft} days` : '';
  return (
    `${s.status}: ${s.holder} (${label}${warning})\n` +
    `  subject: ${s.subject}\n  issuer: ${s.issuer}\n` +
    `  valid: ${s.validFrom} to ${s.validTo}\n  x5t#S256: ${s.fingerprint}\n`
  );
}

/**
 * `credbridge seal import|test|list|revoke --institution ID`: an institution's eSeal from a PKCS#12 file
 * (`--pkcs12 FILE`, password in $SEAL_PASSWORD) or a PEM key and chain (`--key FILE --certificates FILE`), a
 * self-signed test seal, the seals it has had, or a seal reported compromised (`--fingerprint X5T [--since ISO]`).
 * Importing rotates: the earlier seal is retired.
 */
export async function sealCommand(command: string, options: Map<string, string | true>): Promise<number> {
  const institutionId = options.get('institution');
  if (typeof institutionId !== 'string') throw new Error(`seal ${command} needs --institution ID`);
  const config = loadConfig();
  await connectDatabase(config.MONGODB_URI, createLogger('cli', 'warn'));
  try {
    const institution = await findInstitution(institutionId);
    if (!institution) throw new Error(`no institution ${institutionId}`);
    if (command === 'list') {
      const seals = await institutionSeals(institutionId);
      process.stdout.write(seals.length ? seals.map(show).join('') : 'no seal\n');
      return 0;
    }
    if (command === 'revoke') {
      const fingerprint = options.get('fingerprint');
      if (typeof fingerprint !== 'string')
        throw new Error('seal revoke needs --fingerprint X5T (from seal list)');
      const sinceOption = options.get('since');
      const since = typeof sinceOption === 'string' ? new Date(sinceOption) : new Date();
      if (Number.isNaN(since.getTime())) throw new Error('--since must be a date and time (ISO 8601)');
      const seal = await compromiseSeal(institutionId, fingerprint, since);
      if (!seal) throw new Error(`institution ${institutionId} has no seal ${fingerprint}`);
      process.stdout.write(
        `seal ${fingerprint} reported compromised since ${since.toISOString()}: seals not proven older no longer vouch\n`,
      );
      return 0;
    }
    const kek = requireEncryptionKey(config);
    let seal: SealRecord;
    if (command === 'test') {
      seal = await createTestSeal(institutionId, institution.name, kek);
    } else {
      const [pkcs12, key, certificates] = ['pkcs12', 'key', 'certificates'].map((o) => options.get(o));
      const read = (file: string | true | undefined, option: string) => {
        if (typeof file !== 'string') throw new Error(`seal import needs --${option} FILE`);
        return readFileSync(file);
      };
      const input =
        pkcs12 !== undefined
          ? { pkcs12: read(pkcs12, 'pkcs12'), password: process.env[PASSWORD_ENV] ?? '' }
          : {
              privateKeyPem: read(key, 'key').toString('utf8'),
              certificatesPem: read(certificates, 'certificates').toString('utf8'),
            };
      try {
        seal = await importSeal(institutionId, input, kek);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        for (const p of err.problems) process.stderr.write(`${p}\n`);
        return 1;
      }
    }
    process.stdout.write(show(seal));
    return 0;
  } finally {
    await disconnectDatabase();
  }
}
