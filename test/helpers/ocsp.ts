import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestSealKey } from './seal-ca.js';

const run = promisify(execFile);

/** Which revocation services an issued certificate names; a string is an OCSP URL of the test's own. */
export interface Services {
  ocsp?: boolean | string;
  crl?: boolean;
}

export interface RevocationCa {
  /** The CA certificate (the seal chain's trust anchor). */
  ca: X509Certificate;
  /** Its delegated OCSP responder's certificate (id-kp-OCSPSigning, issued by the CA). */
  responder: X509Certificate;
  /** http://127.0.0.1:<port>/ocsp */
  ocspUrl: string;
  /** http://127.0.0.1:<port>/ca.crl */
  crlUrl: string;
  /** A seal certificate naming both the OCSP responder and the CRL. */
  seal: TestSealKey;
  /** Issues another seal certificate (RSA 2048) naming the services asked for. */
  issue(name: string, services: Services): TestSealKey;
  /** Revokes a certificate the CA issued (keyCompromise): the responder and a new CRL say so at once. */
  revoke(cert: X509Certificate): void;
  /** What the responder says of a certificate now: a DER OCSPResponse, made locally, not over HTTP. */
  ocspResponse(cert: X509Certificate): Buffer;
  /** OCSP requests answered so far. */
  readonly ocspRequests: number;
  /** CRL downloads so far. */
  readonly crlRequests: number;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * A CA made with `openssl ca` (an index of what it issued and revoked), with a delegated OCSP responder and an
 * HTTP server on 127.0.0.1 that answers each POSTed OCSP request by running `openssl ocsp -index` on it (the
 * index read afresh, so a revocation shows at once) and serves the CRL `openssl ca -gencrl` last made, in DER.
 */
export async function startRevocationCa(): Promise<RevocationCa> {
  const dir = mkdtempSync(join(tmpdir(), 'credbridge-ocsp-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');

  let ocspRequests = 0;
  let crlRequests = 0;
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/ca.crl') {
        crlRequests++;
        res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(readFileSync(join(dir, 'ca.crl')));
        return;
      }
      if (
        req.method !== 'POST' ||
        req.url !== '/ocsp' ||
        req.headers['content-type'] !== 'application/ocsp-request'
      ) {
        res.writeHead(404).end();
        return;
      }
      const n = ++ocspRequests;
      writeFileSync(join(dir, `q${n}.der`), await readBody(req));
      await run(
        'openssl',
        [
          ...['ocsp', '-index', 'index.txt', '-CA', 'ca.pem', '-rsigner', 'responder.pem'],
          ...['-rkey', 'responder.key', '-reqin', `q${n}.der`, '-respout', `r${n}.der`, '-ndays', '1'],
        ],
        { cwd: dir },
      );
      res
        .writeHead(200, { 'content-type': 'application/ocsp-response' })
        .end(readFileSync(join(dir, `r${n}.der`)));
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const ocspUrl = `http://127.0.0.1:${port}/ocsp`;
  const crlUrl = `http://127.0.0.1:${port}/ca.crl`;

  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'crlnumber'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir',
      'serial = $dir/serial',
      'crlnumber = $dir/crlnumber',
      'certificate = $dir/ca.pem',
      'private_key = $dir/ca.key',
      'default_md = sha256',
      'default_days = 10',
      'default_crl_days = 1',
      'policy = any_name',
      'unique_subject = no',
      'copy_extensions = none',
      '[ any_name ]',
      'commonName = supplied',
      'organizationName = optional',
      '[ responder ]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = critical, OCSPSigning',
      'noCheck = ignored',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  openssl(
    ...[
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '30',
    ],
    ...['-subj', '/CN=Credbridge Test Revocation CA'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  );
  const gencrl = () => {
    openssl('ca', '-config', 'ca.cnf', '-gencrl', '-out', 'ca.crl.pem');
    openssl('crl', '-in', 'ca.crl.pem', '-outform', 'DER', '-out', 'ca.crl');
  };
  gencrl();

  let sections = 0;
  const sign = (name: string, subject: string, extensions: string) => {
    openssl(
      ...['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`],
      ...['-subj', subject],
    );
    openssl(
      ...['ca', '-batch', '-config', 'ca.cnf', '-in', `${name}.csr`, '-out', `${name}.pem`],
      ...['-extensions', extensions, '-notext'],
    );
  };
  sign('responder', '/CN=Credbridge Test OCSP Responder', 'responder');

  const issue = (name: string, services: Services): TestSealKey => {
    const section = `seal_${++sections}`;
    const ocsp = services.ocsp === true ? ocspUrl : services.ocsp || undefined;
    appendFileSync(
      join(dir, 'ca.cnf'),
      [
        `[ ${section} ]`,
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, nonRepudiation',
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        ...(ocsp ? [`authorityInfoAccess = OCSP;URI:${ocsp}`] : []),
        ...(services.crl ? [`crlDistributionPoints = URI:${crlUrl}`] : []),
        '',
      ].join('\n'),
    );
    const file = `seal${sections}`;
    sign(file, `/CN=${name}/O=Atlantic Polytechnic Institute`, section);
    return { cert: new X509Certificate(read(`${file}.pem`)), key: createPrivateKey(read(`${file}.key`)) };
  };

  const files = new Map<string, string>();
  const pemOf = (cert: X509Certificate) => {
    let file = files.get(cert.fingerprint256);
    if (!file) {
      file = `c${files.size}.pem`;
      writeFileSync(join(dir, file), cert.toString());
      files.set(cert.fingerprint256, file);
    }
    return file;
  };

  return {
    ca: new X509Certificate(read('ca.pem')),
    responder: new X509Certificate(read('responder.pem')),
    ocspUrl,
    crlUrl,
    seal: issue('Test Seal', { ocsp: true, crl: true }),
    issue,
    revoke(cert) {
      openssl('ca', '-config', 'ca.cnf', '-revoke', pemOf(cert), '-crl_reason', 'keyCompromise');
      gencrl();
    },
    ocspResponse(cert) {
      const out = `local-${Date.now()}-${files.size}.der`;
      openssl(
        ...['ocsp', '-index', 'index.txt', '-CA', 'ca.pem', '-rsigner', 'responder.pem', '-rkey'],
        ...['responder.key', '-issuer', 'ca.pem', '-cert', pemOf(cert), '-respout', out, '-ndays', '1'],
      );
      return readFileSync(join(dir, out));
    },
    get ocspRequests() {
      return ocspRequests;
    },
    get crlRequests() {
      return crlRequests;
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
