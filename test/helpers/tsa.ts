import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How the TSA answers: `grant` time-stamps every query; `reject` is an `openssl ts` that accepts only SHA-512
 * imprints, so a SHA-256 query gets its real rejection (badAlg, with openssl's status text); `replay` answers
 * every query with the reply to the first one (a stale nonce, another imprint).
 */
export type TsaMode = 'grant' | 'reject' | 'replay';

export interface TestTsa {
  /** http://127.0.0.1:<port>/tsa */
  url: string;
  /** The test CA that issued the TSA certificate (its trust anchor). */
  ca: X509Certificate;
  /** The TSA certificate (extended key usage timeStamping, critical). */
  cert: X509Certificate;
  /** Queries answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * A time-stamping authority on 127.0.0.1 made with `openssl`: a test CA of its own, a TSA certificate it issues,
 * an `openssl ts` configuration, and an HTTP server that answers each POSTed RFC 3161 query by running
 * `openssl ts -reply` on it (files per request in a temporary folder).
 */
export async function startTsa(mode: TsaMode = 'grant'): Promise<TestTsa> {
  const dir = mkdtempSync(join(tmpdir(), 'credbridge-tsa-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem'],
    ...['-days', '30', '-subj', '/CN=Credbridge Test TSA CA'],
  );
  writeFileSync(
    join(dir, 'tsa.ext'),
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = critical, timeStamping',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  openssl(
    ...['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr'],
    ...['-subj', '/CN=Credbridge Test TSA/O=Atlantic Polytechnic Institute'],
  );
  openssl(
    ...['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-out', 'tsa.pem', '-days', '10', '-extfile', 'tsa.ext'],
  );
  writeFileSync(join(dir, 'tsaserial'), '01\n');
  writeFileSync(
    join(dir, 'ts.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `dir = ${dir}`,
      'serial = $dir/tsaserial',
      'crypto_device = builtin',
      'signer_cert = $dir/tsa.pem',
      'certs = $dir/ca.pem',
      'signer_key = $dir/tsa.key',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      `digests = ${mode === 'reject' ? 'sha512' : 'sha256, sha384, sha512'}`,
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = yes',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );

  let requests = 0;
  let first: Buffer | undefined;
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(400).end();
        return;
      }
      const n = ++requests;
      const query = join(dir, `q${n}.tsq`);
      const reply = join(dir, `r${n}.tsr`);
      writeFileSync(query, await readBody(req));
      await run('openssl', ['ts', '-reply', '-config', 'ts.cnf', '-queryfile', query, '-out', reply], {
        cwd: dir,
      });
      const answer = mode === 'replay' && first ? first : readFileSync(reply);
      first ??= answer;
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(answer);
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    ca: new X509Certificate(readFileSync(join(dir, 'ca.pem'))),
    cert: new X509Certificate(readFileSync(join(dir, 'tsa.pem'))),
    get requests() {
      return requests;
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
