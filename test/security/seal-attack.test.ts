/* eslint-disable @typescript-eslint/no-explicit-any -- verification answers and JWS documents are read as JSON */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  KeyObject,
  X509Certificate,
  createHash,
  createHmac,
  createPrivateKey,
  randomBytes,
  webcrypto,
  type KeyObject as KeyObjectType,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { FlattenedSign } from 'jose';
import * as pkijs from 'pkijs';
import { Credential } from '../../src/credentials/credential-model.js';
import { createLogger } from '../../src/log/logger.js';
import { sealCredential, type SealedDocument } from '../../src/seals/jades-seal.js';
import { requestTimestamp, signatureTimestampInput } from '../../src/seals/timestamp.js';
import { consoleSession } from '../helpers/console.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import { bindCourse, issueThroughWorker } from '../helpers/issuing.js';
import { startRevocationCa, type RevocationCa } from '../helpers/ocsp.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { startTsa, type TestTsa } from '../helpers/tsa.js';

/**
 * The JAdES seal feature attacked from outside the model, through real HTTP: POST /credentials/verify and the
 * public /verify page with sealed documents an outsider crafts, the console's seal import (multipart PKCS#12 and
 * PEM), and the worker's outbound OCSP/CRL calls at issue time.
 *
 * Tests named "held:" assert a defence that works. Tests named "FINDING" assert the weakness as it behaves today
 * (each a reproduction that fails once the weakness is fixed: then invert it into a "held:" test).
 */

const dir = mkdtempSync(join(tmpdir(), 'credbridge-seal-attack-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const read = (name: string) => readFileSync(join(dir, name), 'utf8');
const ab = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cert {
  cert: X509Certificate;
  key: KeyObjectType;
  pem: string;
  keyPem: string;
}

/** An EC P-256 key and a certificate by `openssl`: self-signed, or issued by `ca` with the extensions given. */
function opensslCert(name: string, subject: string, ext: string[], ca?: string): Cert {
  writeFileSync(join(dir, `${name}.ext`), ext.join('\n') + '\n');
  openssl(
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject],
  );
  openssl(
    ...['x509', '-req', '-in', `${name}.csr`, '-out', `${name}.pem`, '-days', '10'],
    ...(ca ? ['-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial'] : ['-key', `${name}.key`]),
    ...['-extfile', `${name}.ext`],
  );
  return {
    cert: new X509Certificate(read(`${name}.pem`)),
    key: createPrivateKey(read(`${name}.key`)),
    pem: read(`${name}.pem`),
    keyPem: read(`${name}.key`),
  };
}

const SEAL_EXT = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation'];
const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

/** A certificate made with pkijs, for dates openssl x509 cannot set (seconds from now, or in the future). */
async function pkiCert(o: {
  cn: string;
  org?: string;
  issuer?: { cn: string; key: webcrypto.CryptoKey };
  notBefore: Date;
  notAfter: Date;
  ca?: boolean;
}): Promise<{ cert: X509Certificate; keys: webcrypto.CryptoKeyPair; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const rdn = (type: string, value: string) =>
    new asn1js.Set({
      value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()],
    });
  const dn = (cn: string, org?: string) =>
    pkijs.RelativeDistinguishedNames.fromBER(
      new asn1js.Sequence({
        value: [...(org ? [rdn('2.5.4.10', org)] : []), rdn('2.5.4.3', cn)],
      }).toBER(),
    );
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: ab(Uint8Array.from([0x01, ...randomBytes(8)])) });
  cert.subject = dn(o.cn, o.org);
  cert.issuer = o.issuer ? dn(o.issuer.cn) : dn(o.cn, o.org);
  cert.notBefore.value = o.notBefore;
  cert.notAfter.value = o.notAfter;
  const usage = o.ca
    ? new asn1js.BitString({ valueHex: ab(Uint8Array.from([0x06])), unusedBits: 1 })
    : new asn1js.BitString({ valueHex: ab(Uint8Array.from([0xc0])), unusedBits: 6 });
  const basic = new pkijs.BasicConstraints({ cA: Boolean(o.ca) });
  cert.extensions = [
    new pkijs.Extension({
      extnID: '2.5.29.15',
      critical: true,
      extnValue: usage.toBER(false),
      parsedValue: usage,
    }),
    new pkijs.Extension({
      extnID: '2.5.29.19',
      critical: true,
      extnValue: basic.toSchema().toBER(false),
      parsedValue: basic,
    }),
  ];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign(o.issuer?.key ?? keys.privateKey, 'SHA-256');
  return {
    cert: new X509Certificate(Buffer.from(cert.toSchema().toBER())),
    keys,
    keyPem: KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** A server that counts what reaches it: the attacker's own ("public") host, or an internal one. */
interface Counter {
  port: number;
  hits: string[];
  connections: number;
  close(): Promise<void>;
}
async function counter(answer: (path: string) => { status: number; location?: string }): Promise<Counter> {
  const hits: string[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const { status, location } = answer(req.url ?? '');
    res.writeHead(status, location ? { location } : {}).end();
  });
  server.on('connection', () => connections++);
  // Dual stack when the machine has IPv6: 127.0.0.1, ::1 and 0.0.0.0 all reach it.
  await new Promise<void>((resolve, reject) => {
    server.once('error', () => server.listen(0, '0.0.0.0', resolve));
    try {
      server.listen({ port: 0, host: '::', ipv6Only: false }, resolve);
    } catch (err) {
      reject(err);
    }
  });
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let tool: ToolUnderTest;
let tsa: TestTsa;
let revocation: RevocationCa;
let attacker: Counter;
let internal: Counter;
const webLines: string[] = [];

let qtsp: Cert; // a trust anchor (SEAL_TRUST_ANCHORS): a QTSP's CA
let evil: Cert; // a seal that QTSP issued to some other legal person ("Evil Ltd")
let sealB: Cert; // institution B's imported seal, issued by the QTSP (KU digitalSignature, nonRepudiation)
let nonCa: Cert; // an end-entity certificate of the QTSP: CA:FALSE, no keyUsage
let underNonCa: Cert; // a "seal" its holder issued with it
let underSealB: Cert; // a "seal" institution B's holder issued with its seal key (keyUsage forbids: refused)
let stranger: Cert; // self-signed, same name as institution A's seal, AIA and CRL naming the attacker's host
let sealA: { cert: X509Certificate; key: KeyObjectType }; // institution A's seal (its CA has OCSP and CRL)
let didA: string;
let nameA: string;
const P12_PASSWORD = `p12-${randomBytes(9).toString('hex')}`;

type Admin = Awaited<ReturnType<typeof consoleSession>>;
let adminA: Admin;
let adminB: Admin;
let adminS: Admin;
let institutionS: string;
let issuerS: string;

const verifyApi = async (doc: unknown) => {
  const res = await fetch(`${tool.url}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential: doc }),
  });
  return { status: res.status, body: (await res.json()) as any };
};

/** The public verify page, as a visitor pastes a document into it. */
async function verifyPage(doc: unknown): Promise<string> {
  const form = await fetch(`${tool.url}/verify`);
  const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${tool.url}/verify`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, credential: JSON.stringify(doc) }).toString(),
  });
  return res.text();
}

const credential = (issuer: string, name: string, extra: Record<string, unknown> = {}) => ({
  '@context': ['https://www.w3.org/2018/credentials/v1'],
  id: `urn:uuid:${webcrypto.randomUUID()}`,
  type: ['VerifiableCredential'],
  issuer: { id: issuer, legalName: { en: name } },
  issuanceDate: '2026-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:mallory', name: 'Mallory', achievement: 'PhD, summa cum laude' },
  ...extra,
});

const seal = (payload: unknown, certs: X509Certificate[], key: KeyObjectType, at?: Date) =>
  sealCredential(payload, { certificates: certs, privateKey: key }, at);

const withEtsiU = (doc: SealedDocument, etsiU: unknown[]): SealedDocument => ({
  payload: doc.payload,
  signatures: [{ ...doc.signatures[0]!, header: { etsiU } }],
});
const etsiEntry = (value: unknown) => b64u(JSON.stringify(value));

/** Milliseconds the event loop of this process (the web app's) was stalled while `work` ran. */
async function stall<T>(work: () => Promise<T>): Promise<{ result: T; stalledMs: number }> {
  let last = Date.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    const result = await work();
    return { result, stalledMs: worst };
  } finally {
    clearInterval(timer);
  }
}

beforeAll(async () => {
  internal = await counter(() => ({ status: 200 }));
  attacker = await counter((path) =>
    path.startsWith('/redirect')
      ? { status: 302, location: `http://127.0.0.1:${internal.port}/redirected` }
      : { status: 503 },
  );
  tsa = await startTsa();
  revocation = await startRevocationCa();

  qtsp = opensslCert('qtsp', '/CN=Test QTSP Seal CA', CA_EXT);
  evil = opensslCert('evil', '/CN=Seal/O=Evil Ltd', SEAL_EXT, 'qtsp');
  sealB = opensslCert('sealb', '/CN=Seal/O=Institution B', SEAL_EXT, 'qtsp');
  nonCa = opensslCert(
    'nonca',
    '/CN=Some Subscriber/O=Some Subscriber',
    ['basicConstraints=critical,CA:FALSE'],
    'qtsp',
  );
  underNonCa = opensslCert('undernonca', '/CN=Seal/O=Universitaet Heidelberg', SEAL_EXT, 'nonca');
  underSealB = opensslCert('undersealb', '/CN=Seal/O=Universitaet Heidelberg', SEAL_EXT, 'sealb');
  stranger = opensslCert('stranger', '/CN=Test Seal/O=Atlantic Polytechnic Institute', [
    ...SEAL_EXT,
    `authorityInfoAccess=OCSP;URI:http://127.0.0.1:${attacker.port}/verify-time-ocsp,caIssuers;URI:http://127.0.0.1:${attacker.port}/verify-time-ca`,
    `crlDistributionPoints=URI:http://127.0.0.1:${attacker.port}/verify-time-crl`,
  ]);
  const anchors = join(dir, 'anchors.pem');
  // Institution A's CA is anchored too (a QTSP): its seals are fully trusted, so a refusal names its real reason.
  writeFileSync(anchors, qtsp.pem + revocation.ca.toString() + tsa.ca.toString());

  tool = await startTool(
    {
      TSA_URL: tsa.url,
      SEAL_TRUST_ANCHORS: anchors,
      // Loopback is reachable only where the installation allows it: its TSA, and the attacker's host standing in
      // for a public address the institution administrator controls. The internal service is not allowed.
      OUTBOUND_ALLOW_PRIVATE_HOSTS: `127.0.0.1:${new URL(tsa.url).port},127.0.0.1:${attacker.port}`,
      RATE_LIMIT_VERIFY_PER_MINUTE: '1000',
      ISSUE_BACKOFF_MS: '200',
    },
    { logger: createLogger('web', 'trace', { write: (line: string) => void webLines.push(line) }) },
  );

  const a = await createTestInstitution(tool, { id: 'inst-a' });
  didA = a.issuer.did;
  nameA = 'Atlantic Polytechnic Institute';
  await createTestInstitution(tool, { id: 'inst-b', rootDid: false });
  const s = await createTestInstitution(tool, { id: 'inst-s', rootDid: false });
  institutionS = s.institutionId;
  issuerS = s.issuer._id;
  adminA = await consoleSession(tool.url, 'attack-admin-a', 'inst-a');
  adminB = await consoleSession(tool.url, 'attack-admin-b', 'inst-b');
  adminS = await consoleSession(tool.url, 'attack-admin-s', 'inst-s');

  // Institution A imports its seal (a CA with OCSP and CRL) by PEM paste; B imports its QTSP seal as PKCS#12.
  sealA = revocation.issue('Seal A', { ocsp: true, crl: true });
  const importedA = await adminA.post('/admin/seal/import', {
    privateKey: sealA.key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    certificates: sealA.cert.toString() + revocation.ca.toString(),
  });
  expect(importedA.status).toBe(303);
  writeFileSync(join(dir, 'chain-b.pem'), sealB.pem + qtsp.pem);
  openssl(
    ...['pkcs12', '-export', '-inkey', 'sealb.key', '-in', 'sealb.pem', '-certfile', 'qtsp.pem'],
    ...['-out', 'sealb.p12', '-passout', `pass:${P12_PASSWORD}`],
  );
  const form = new FormData();
  form.set('pkcs12', new Blob([new Uint8Array(readFileSync(join(dir, 'sealb.p12')))]), 'seal.p12');
  form.set('password', P12_PASSWORD);
  expect((await adminB.upload('/admin/seal/import', form)).status).toBe(303);
}, 120_000);

afterAll(async () => {
  await tool?.close();
  await tsa?.close();
  await revocation?.close();
  await attacker?.close();
  await internal?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('held: a stranger cannot make this installation call a sealed credential its issuer’s', () => {
  it('verifies the genuine control (institution A’s own seal key) as A’s', async () => {
    const genuine = await seal(credential(didA, nameA), [sealA.cert, revocation.ca], sealA.key);
    const { status, body } = await verifyApi(genuine);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      verified: true,
      verdict: 'verified',
      issuer: { recognised: 'installation' },
    });
  });

  it('refuses look-alikes, another institution’s seal, and header and serialization tricks', async () => {
    const payload = credential(didA, nameA);
    const genuine = await seal(payload, [sealA.cert, revocation.ca], sealA.key);
    const sig = genuine.signatures[0]!;
    const header = JSON.parse(Buffer.from(sig.protected, 'base64url').toString()) as Record<string, unknown>;
    const reHeader = (changes: Record<string, unknown>, drop: string[] = []) => {
      const h: Record<string, unknown> = { ...header, ...changes };
      for (const d of drop) delete h[d];
      return b64u(JSON.stringify(h));
    };
    const strangerDoc = await seal(payload, [stranger.cert], stranger.key);
    const bDoc = await seal(payload, [sealB.cert, qtsp.cert], sealB.key);
    // HS256 with the certificate's public key (DER and PEM) as the MAC secret, as in the classic JWT confusion.
    const hsProtected = reHeader({ alg: 'HS256' });
    const hs = (secret: Buffer | string) =>
      createHmac('sha256', secret).update(`${hsProtected}.${genuine.payload}`).digest('base64url');
    const spki = sealA.cert.publicKey.export({ format: 'der', type: 'spki' });
    const spkiPem = sealA.cert.publicKey.export({ format: 'pem', type: 'spki' }).toString();

    const cases: [string, unknown, RegExp][] = [
      ['self-signed look-alike of the same name', strangerDoc, /neither a seal of issuer .* nor chained/],
      ['institution B’s imported (and anchored) seal on A’s issuer', bDoc, /neither a seal of issuer/],
      [
        'alg none',
        { payload: genuine.payload, signatures: [{ protected: reHeader({ alg: 'none' }), signature: '' }] },
        /alg none is not a seal algorithm/,
      ],
      [
        'HS256 keyed with the SPKI DER',
        { payload: genuine.payload, signatures: [{ protected: hsProtected, signature: hs(spki) }] },
        /alg HS256 is not a seal algorithm/,
      ],
      [
        'HS256 keyed with the SPKI PEM',
        { payload: genuine.payload, signatures: [{ protected: hsProtected, signature: hs(spkiPem) }] },
        /alg HS256 is not a seal algorithm/,
      ],
      [
        'x5c of A moved to the unprotected header, the stranger’s left signed',
        {
          payload: genuine.payload,
          signatures: [{ ...strangerDoc.signatures[0]!, header: { x5c: header.x5c, sigT: header.sigT } }],
        },
        /sigT, x5c must be in the signed \(protected\) header/,
      ],
      [
        'x5t#S256 of A beside the stranger’s x5c',
        await (async () => {
          const d = await seal(payload, [stranger.cert], stranger.key);
          const h = JSON.parse(Buffer.from(d.signatures[0]!.protected, 'base64url').toString());
          h['x5t#S256'] = header['x5t#S256'];
          return {
            payload: d.payload,
            signatures: [{ protected: b64u(JSON.stringify(h)), signature: d.signatures[0]!.signature }],
          };
        })(),
        /x5t#S256 is not the digest/,
      ],
      [
        'crit naming an unknown extension',
        {
          payload: genuine.payload,
          signatures: [
            { protected: reHeader({ crit: ['b64', 'sigT', 'evil'], evil: 1 }), signature: sig.signature },
          ],
        },
        /crit names evil/,
      ],
      [
        'crit without b64',
        {
          payload: genuine.payload,
          signatures: [{ protected: reHeader({ crit: ['sigT'] }), signature: sig.signature }],
        },
        /b64 must be listed in crit/,
      ],
      [
        'b64 true (the payload read as base64url)',
        {
          payload: genuine.payload,
          signatures: [{ protected: reHeader({ b64: true }), signature: sig.signature }],
        },
        /payload must be unencoded/,
      ],
      [
        'A’s signature plus a second (stranger’s) one',
        { payload: genuine.payload, signatures: [sig, strangerDoc.signatures[0]] },
        /2 signatures/,
      ],
      [
        'flattened serialization of the stranger’s seal',
        { payload: strangerDoc.payload, ...strangerDoc.signatures[0] },
        /neither a seal of issuer/,
      ],
      [
        'whitespace added to A’s sealed payload',
        { ...genuine, payload: genuine.payload.replace('{', '{ ') },
        /the seal does not match the payload/,
      ],
      [
        'unicode: the name decomposed (NFD) in A’s sealed payload',
        await (async () => {
          const p = credential(didA, nameA, { note: 'Universität' });
          const d = await seal(p, [sealA.cert, revocation.ca], sealA.key);
          return { ...d, payload: d.payload.replace('Universität', 'Universita\u0308t') };
        })(),
        /the seal does not match the payload/,
      ],
      [
        'duplicate keys: the stranger’s DID first, A’s DID last (JSON.parse keeps the last)',
        await (async () => {
          // Sealed over the duplicate-key text itself: the bytes signed are the bytes the verifier parses.
          const text = `{"issuer":"did:web:stranger.example",${JSON.stringify(payload).slice(1)}`;
          const h = JSON.parse(Buffer.from(strangerDoc.signatures[0]!.protected, 'base64url').toString());
          const jws = await new FlattenedSign(new TextEncoder().encode(text))
            .setProtectedHeader(h)
            .sign(stranger.key, { crit: { sigT: true } });
          return { payload: text, signatures: [{ protected: jws.protected!, signature: jws.signature }] };
        })(),
        /neither a seal of issuer .* nor chained/,
      ],
      [
        'sigT outside the certificate’s validity',
        await seal(
          payload,
          [sealA.cert, revocation.ca],
          sealA.key,
          new Date(Date.now() + 60 * 24 * 3600_000),
        ),
        /was not valid at sigT/,
      ],
    ];
    for (const [what, doc, error] of cases) {
      const { status, body } = await verifyApi(doc);
      expect({ what, status, verified: body.verified }).toEqual({ what, status: 400, verified: false });
      expect({ what, errors: (body.errors as string[]).join(' | ') }).toEqual({
        what,
        errors: expect.stringMatching(error),
      });
    }
  });

  it('refuses a real TSA’s token over another seal’s signature, and an OCSP "good" signed by an unrelated CA', async () => {
    const payload = credential(didA, nameA);
    const genuine = await seal(payload, [sealA.cert, revocation.ca], sealA.key);
    const other = await seal(credential(didA, nameA), [sealA.cert, revocation.ca], sealA.key);
    // A genuine RFC 3161 token from the installation's own TSA, over the other seal's signature.
    const token = await requestTimestamp(
      signatureTimestampInput(other.signatures[0]!.signature),
      tsa.url,
      fetch,
    );
    const stamped = withEtsiU(genuine, [
      etsiEntry({ sigTst: { tstTokens: [{ val: Buffer.from(token).toString('base64') }] } }),
    ]);
    const refused = await verifyApi(stamped);
    expect(refused.body.verified).toBe(false);
    expect(refused.body.errors.join(' ')).toMatch(/time-stamp covers other data/);
    // FINDING (low): on a seal whose chain is not anchored, the refusal is reported as the chain check (the first
    // check not ok), not the forged time-stamp that refused it (src/credentials/verifier.ts).
    const strangerStamped = withEtsiU(await seal(payload, [stranger.cert], stranger.key), [
      etsiEntry({ sigTst: { tstTokens: [{ val: Buffer.from(token).toString('base64') }] } }),
    ]);
    const misreported = await verifyApi(strangerStamped);
    expect(misreported.body.verified).toBe(false);
    expect(misreported.body.errors).toEqual([
      'proof: JAdES seal: the certificate does not chain up to any trust anchor',
    ]);

    // "good" for A's seal certificate (a correct CertID), signed by the QTSP's CA: trusted, but not A's CA.
    const signer = await webcrypto.subtle.importKey(
      'pkcs8',
      qtsp.key.export({ format: 'der', type: 'pkcs8' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const pki = (c: X509Certificate) => pkijs.Certificate.fromBER(ab(c.raw));
    const certID = await pkijs.CertID.create(pki(sealA.cert), {
      hashAlgorithm: 'SHA-1',
      issuerCertificate: pki(revocation.ca),
    });
    const spkiBits = pki(qtsp.cert).subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: new pkijs.ResponseData({
        responderID: new asn1js.OctetString({ valueHex: ab(createHash('sha1').update(spkiBits).digest()) }),
        producedAt: new Date(),
        responses: [
          new pkijs.SingleResponse({
            certID,
            certStatus: new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }),
            thisUpdate: new Date(),
            nextUpdate: new Date(Date.now() + 86_400_000),
          }),
        ],
      }),
      certs: [pki(qtsp.cert)],
    });
    await basic.sign(signer, 'SHA-256');
    const ocsp = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: '1.3.6.1.5.5.7.48.1.1',
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
      }),
    });
    const forged = withEtsiU(genuine, [
      etsiEntry({ rVals: { ocspVals: [{ val: Buffer.from(ocsp.toSchema().toBER()).toString('base64') }] } }),
    ]);
    const res = await verifyApi(forged);
    expect(res.body.verified).toBe(false);
    expect(res.body.errors.join(' ')).toMatch(/neither the CA of .* nor an OCSP responder it delegated/);
  });

  it('never fetches the AIA, OCSP or CRL URLs of a stranger’s certificate at verify time', async () => {
    const before = attacker.hits.length;
    const doc = await seal(credential('did:web:stranger.example', 'Stranger'), [stranger.cert], stranger.key);
    const res = await verifyApi(doc);
    expect(res.body.verdict).toBe('issuer-not-recognised');
    await verifyPage(doc);
    await sleep(300);
    // The attacker's host is reachable (allowed): had anything fetched, it would have arrived.
    expect(attacker.hits.slice(before).filter((h) => h.includes('verify-time'))).toEqual([]);
  });

  it('shows a stranger certificate’s names as text, never markup, on the public verify page', async () => {
    const xss = opensslCert(
      'xss',
      '/CN=<b onmouseover=alert(1)>Seal/O=<img src=x onerror=alert(1)>',
      SEAL_EXT,
    );
    const doc = await seal(credential('did:web:xss.example', 'X'), [xss.cert], xss.key);
    const page = await verifyPage(doc);
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<b onmouseover');
  });
});

describe('FINDING (high): an unauthenticated sealed document stalls the server for minutes', () => {
  /**
   * readOcspResponse (src/seals/validation-data.ts) matches every SingleResponse of an rVals OCSP response
   * against every pair of certificates at hand (x5c + xVals + the response's own), re-encoding and hashing the
   * issuer's name and key each time: R x N^2 work, synchronously, for a document signed by anyone's
   * self-signed certificate. Nothing caps N (xVals) or R.
   */
  async function crafted(n: number, r: number): Promise<SealedDocument> {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cert = new pkijs.Certificate();
    cert.version = 0;
    cert.serialNumber = new asn1js.Integer({ valueHex: ab(Uint8Array.from([0x11, 0x22, 0x33])) });
    const name = new pkijs.RelativeDistinguishedNames({
      typesAndValues: [
        new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: 'x' }) }),
      ],
    });
    cert.subject = name;
    cert.issuer = name;
    cert.notBefore.value = new Date(Date.now() - 86_400_000);
    cert.notAfter.value = new Date(Date.now() + 30 * 86_400_000);
    await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
    await cert.sign(keys.privateKey, 'SHA-256');
    const der = Buffer.from(cert.toSchema().toBER());
    // n certificates differing only in their serial (same key): each one more candidate.
    const at = der.indexOf(Buffer.from([0x02, 0x03, 0x11, 0x22, 0x33]));
    const certs = Array.from({ length: n }, (_, i) => {
      const c = Buffer.from(der);
      c[at + 3] = 0x40 + (i >> 8);
      c[at + 4] = i & 0xff;
      return c;
    });
    const keyHash = createHash('sha1')
      .update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
      .digest();
    const responses = Array.from(
      { length: r },
      () =>
        new pkijs.SingleResponse({
          certID: new pkijs.CertID({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({
              algorithmId: '1.3.14.3.2.26',
              algorithmParams: new asn1js.Null(),
            }),
            issuerNameHash: new asn1js.OctetString({ valueHex: new ArrayBuffer(20) }),
            issuerKeyHash: new asn1js.OctetString({ valueHex: new ArrayBuffer(20) }),
            serialNumber: new asn1js.Integer({ value: 1 }),
          }),
          certStatus: new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }),
          thisUpdate: new Date(),
        }),
    );
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: new pkijs.ResponseData({
        responderID: new asn1js.OctetString({ valueHex: ab(keyHash) }),
        producedAt: new Date(),
        responses,
      }),
    });
    await basic.sign(keys.privateKey, 'SHA-256');
    const ocsp = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: '1.3.6.1.5.5.7.48.1.1',
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
      }),
    });
    const doc = await seal(
      credential('did:web:anyone.example', 'Anyone'),
      [new X509Certificate(der)],
      KeyObject.from(keys.privateKey),
    );
    // etsiU entries may be clear JSON objects (decodeEtsiU): no base64url overhead.
    return withEtsiU(doc, [
      { xVals: certs.map((c) => ({ x509Cert: { val: c.toString('base64') } })) },
      { rVals: { ocspVals: [{ val: Buffer.from(ocsp.toSchema().toBER()).toString('base64') }] } },
    ]);
  }

  it('POST /credentials/verify of a ~20 KB body blocks the event loop for seconds, growing as the cube', async () => {
    const small = await crafted(20, 20);
    const large = await crafted(40, 40);
    const size = JSON.stringify({ verifiableCredential: large }).length;
    const timed = async (doc: SealedDocument) =>
      stall(async () => {
        const verify = verifyApi(doc);
        // An unrelated request sent while the verification runs waits for it.
        await sleep(20);
        const t = Date.now();
        await fetch(`${tool.url}/healthz`);
        const probeMs = Date.now() - t;
        return { verify: await verify, probeMs };
      });
    const s = await timed(small);
    const l = await timed(large);
    console.log(
      `crafted verify: 20x20 stalled ${s.stalledMs} ms; 40x40 (${size} bytes) stalled ${l.stalledMs} ms, /healthz waited ${l.result.probeMs} ms`,
    );
    // Accepted as a seal (a stranger's, intact): the revocation values were read, not refused.
    expect(l.result.verify.body.results.find((c: any) => c.check === 'proof')).toMatchObject({ ok: true });
    expect(l.result.verify.body.verdict).toBe('issuer-not-recognised');
    expect(size).toBeLessThan(32 * 1024);
    expect(l.stalledMs).toBeGreaterThan(2_000);
    expect(l.result.probeMs).toBeGreaterThan(1_500);
    // Twice the entries, about eight times the time: a 256 KB body (the JSON limit) is hours of CPU.
    expect(l.stalledMs / Math.max(s.stalledMs, 1)).toBeGreaterThan(3);
  }, 120_000);
});

describe('FINDING (high): a PKCS#12 upload with a huge MAC iteration count freezes the whole server', () => {
  it('runs the iterations synchronously on the event loop before the password is even judged', async () => {
    openssl(
      ...['pkcs12', '-export', '-inkey', 'sealb.key', '-in', 'sealb.pem'],
      ...['-out', 'iter.p12', '-passout', 'pass:whatever'],
    );
    const pfx = pkijs.PFX.fromBER(ab(readFileSync(join(dir, 'iter.p12'))));
    const iterations = 1_500_000;
    pfx.macData!.iterations = iterations;
    const bomb = Buffer.from(pfx.toSchema().toBER());
    const form = new FormData();
    form.set('pkcs12', new Blob([new Uint8Array(bomb)]), 'seal.p12');
    form.set('password', 'anything');
    const { result, stalledMs } = await stall(async () => {
      const res = await adminB.upload('/admin/seal/import', form);
      return { status: res.status, text: await res.text() };
    });
    console.log(
      `PKCS#12 of ${bomb.length} bytes with ${iterations} MAC iterations: event loop stalled ${stalledMs} ms` +
        ` (~${((stalledMs / iterations) * 2 ** 31) / 60_000} minutes at 2^31-1)`,
    );
    expect(result.status).toBe(400);
    expect(result.text).toContain('password: the password does not open this PKCS#12 file');
    expect(bomb.length).toBeLessThan(2048);
    expect(stalledMs).toBeGreaterThan(1_000);
  }, 120_000);
});

describe('FINDING (high): any anchored seal holder speaks for any issuer DID that is not this installation’s', () => {
  it('"Evil Ltd", a seal of the anchor CA, issues as Universität Heidelberg; the page says the DID is on the trusted list', async () => {
    // TRUSTED_ISSUERS is empty: nobody listed did:web:uni-heidelberg.example.
    expect(tool.config.TRUSTED_ISSUERS).toEqual([]);
    const doc = await seal(
      credential('did:web:uni-heidelberg.example', 'Ruprecht-Karls-Universität Heidelberg'),
      [evil.cert, qtsp.cert],
      evil.key,
    );
    const { status, body } = await verifyApi(doc);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      verified: true,
      verdict: 'verified',
      issuer: { id: 'did:web:uni-heidelberg.example', recognised: 'trusted-list' },
    });
    const page = await verifyPage(doc);
    expect(page).toMatch(
      /Issued by did:web:uni-heidelberg\.example, which is on this service.{1,8}s list of trusted issuers/,
    );

    // A DID on this very host that no institution here has: not "ours", so the anchored stranger speaks for it.
    const lookalike = `${didA}:issuers:inst-a`;
    const onHost = await verifyApi(
      await seal(credential(lookalike, nameA), [evil.cert, qtsp.cert], evil.key),
    );
    expect(onHost.body).toMatchObject({
      verified: true,
      verdict: 'verified',
      issuer: { id: lookalike, recognised: 'trusted-list' },
    });
  });
});

describe('FINDING (medium): the seal chain accepts an end-entity certificate as an intermediate CA', () => {
  it('a subscriber’s CA:FALSE certificate (no keyUsage) of the anchor signs a "seal" that verifies as trusted', async () => {
    expect(nonCa.cert.ca).toBe(false);
    const doc = await seal(
      credential('did:web:uni-heidelberg.example', 'Universität Heidelberg'),
      [underNonCa.cert, nonCa.cert],
      underNonCa.key,
    );
    const { body } = await verifyApi(doc);
    expect(body).toMatchObject({
      verified: true,
      verdict: 'verified',
      issuer: { recognised: 'trusted-list' },
    });
  });

  it('held: a seal certificate whose keyUsage forbids certificate signing cannot be used so', async () => {
    const doc = await seal(
      credential('did:web:uni-heidelberg.example', 'Universität Heidelberg'),
      [underSealB.cert, sealB.cert],
      underSealB.key,
    );
    const { body } = await verifyApi(doc);
    expect(body).toMatchObject({ verified: false, verdict: 'issuer-not-recognised' });
  });
});

describe('FINDING (medium): a stolen institution seal key forges "verified" credentials after revocation, retirement and expiry', () => {
  it('stripping the unsigned rVals hides the revocation; a retired seal still vouches; sigT is backdated past expiry', async () => {
    revocation.revoke(sealA.cert);
    const forgery = credential(didA, nameA);
    const stolen = await seal(forgery, [sealA.cert, revocation.ca], sealA.key);
    // With the CA's own answer (revoked) attached, the verifier refuses...
    const withRevoked = withEtsiU(stolen, [
      etsiEntry({ xVals: [{ x509Cert: { val: revocation.responder.raw.toString('base64') } }] }),
      etsiEntry({ rVals: { ocspVals: [{ val: revocation.ocspResponse(sealA.cert).toString('base64') }] } }),
    ]);
    const refused = await verifyApi(withRevoked);
    expect(refused.body.verified).toBe(false);
    expect(refused.body.errors.join(' ')).toMatch(/sealing certificate .* is revoked/);
    // ...but the values are the bearer's to leave out: the same seal, B-B, is A's genuine credential.
    const accepted = await verifyApi(stolen);
    expect(accepted.body).toMatchObject({
      verified: true,
      verdict: 'verified',
      issuer: { id: didA, recognised: 'installation', name: nameA },
    });

    // The institution rotates to a new seal (short-lived here); the revoked one is retired, and still vouches.
    const ca = await pkiCert({
      cn: 'Short CA',
      ca: true,
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 3_600_000),
    });
    const validTo = new Date(Math.ceil((Date.now() + 6_000) / 1000) * 1000);
    const short = await pkiCert({
      cn: 'Seal',
      org: nameA,
      issuer: { cn: 'Short CA', key: ca.keys.privateKey },
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: validTo,
    });
    const rotated = await adminA.post('/admin/seal/import', {
      privateKey: short.keyPem,
      certificates: short.cert.toString() + ca.cert.toString(),
    });
    expect(rotated.status).toBe(303);
    const page = await (await adminA.get('/admin/seal')).text();
    expect(page.match(/retired on /g)).toHaveLength(1);
    expect(
      (await verifyApi(await seal(credential(didA, nameA), [sealA.cert, revocation.ca], sealA.key))).body,
    ).toMatchObject({ verified: true, issuer: { recognised: 'installation' } });

    // After the short seal has expired, its key still seals: sigT (the signer's own claim) is backdated.
    await sleep(Math.max(0, validTo.getTime() - Date.now() + 1_500));
    expect(Date.now()).toBeGreaterThan(Date.parse(short.cert.validTo));
    const shortKey = KeyObject.from(short.keys.privateKey);
    const backdated = await seal(
      credential(didA, nameA),
      [short.cert, ca.cert],
      shortKey,
      new Date(validTo.getTime() - 3_000),
    );
    expect((await verifyApi(backdated)).body).toMatchObject({
      verified: true,
      verdict: 'verified',
      issuer: { recognised: 'installation' },
    });
    // Only the claimed time is judged: sealed "now", the same key is refused.
    const honest = await verifyApi(await seal(credential(didA, nameA), [short.cert, ca.cert], shortKey));
    expect(honest.body.errors.join(' ')).toMatch(/not valid at sigT/);
  }, 60_000);
});

describe('the seal import of the console', () => {
  it('held: refuses an expired and a not-yet-valid certificate; FINDING (low): takes a CA certificate as a seal', async () => {
    const expired = await pkiCert({
      cn: 'Seal',
      org: 'Institution B',
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const future = await pkiCert({
      cn: 'Seal',
      org: 'Institution B',
      notBefore: new Date(Date.now() + 86_400_000),
      notAfter: new Date(Date.now() + 3 * 86_400_000),
    });
    for (const [c, msg] of [
      [expired, 'certificates: the certificate expired on'],
      [future, 'certificates: the certificate is not valid before'],
    ] as const) {
      const res = await adminB.post('/admin/seal/import', {
        privateKey: c.keyPem,
        certificates: c.cert.toString(),
      });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain(msg);
      // The pasted key is not echoed back.
      expect(text).not.toContain(c.keyPem.split('\n')[1]!);
    }
    const caSeal = await pkiCert({
      cn: 'An Institution B CA',
      ca: true,
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    expect(caSeal.cert.ca).toBe(true);
    const res = await adminB.post('/admin/seal/import', {
      privateKey: caSeal.keyPem,
      certificates: caSeal.cert.toString(),
    });
    expect(res.status).toBe(303);
  });

  it('held: the session’s CSRF token is checked on the multipart route, and institutions stay apart', async () => {
    const before = await (await adminA.get('/admin/seal')).text();
    const pemForm = () => {
      const form = new FormData();
      form.set('privateKey', evil.keyPem);
      form.set('certificates', evil.pem);
      return form;
    };
    // No token (what a cross-site form can send), a wrong one, B's token with A's cookie, a duplicated field.
    expect((await adminA.upload('/admin/seal/import', pemForm(), false)).status).toBe(403);
    const wrong = pemForm();
    wrong.set('_csrf', 'x'.repeat(43));
    expect((await adminA.upload('/admin/seal/import', wrong, false)).status).toBe(403);
    const bTokenPage = await (await adminB.get('/admin/seal')).text();
    const bToken = /name="_csrf" value="([^"]+)"/.exec(bTokenPage)![1]!;
    const crossed = pemForm();
    crossed.set('_csrf', bToken);
    expect((await adminA.upload('/admin/seal/import', crossed, false)).status).toBe(403);
    const aToken = /name="_csrf" value="([^"]+)"/.exec(before)![1]!;
    const twice = pemForm();
    twice.append('_csrf', aToken);
    twice.append('_csrf', 'x');
    expect((await adminA.upload('/admin/seal/import', twice, false)).status).toBe(403);
    // Without any session: refused before the file is read.
    const anonymous = await fetch(`${tool.url}/admin/seal/import`, { method: 'POST', body: pemForm() });
    expect(anonymous.status).toBe(401);
    expect(await (await adminA.get('/admin/seal')).text()).not.toContain('Evil Ltd');
    // B's administrator sees only B's seals.
    expect(bTokenPage).not.toContain('Seal A');
    expect(bTokenPage).not.toContain(nameA);
  });

  it('held: neither the PKCS#12 password nor a pasted key reaches the logs', () => {
    const all = webLines.join('\n');
    expect(webLines.length).toBeGreaterThan(10);
    expect(all).not.toContain(P12_PASSWORD);
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain(evil.keyPem.split('\n')[1]!);
  });
});

describe('the sealer’s OCSP and CRL calls at issue time (URLs from the institution’s own certificate)', () => {
  const FAN = 20;

  it('held: never reach loopback, 0.0.0.0, ::1, metadata or a redirect inward; FINDING (medium): every URL named is tried, one after another', async () => {
    const own = opensslCert('sca', '/CN=Institution S CA', CA_EXT);
    const i = internal.port;
    const a = attacker.port;
    const inward = [
      `http://127.0.0.1:${i}/ocsp`,
      `http://localhost:${i}/ocsp`,
      `http://[::1]:${i}/ocsp`,
      `http://0.0.0.0:${i}/ocsp`,
      `http://127.1:${i}/ocsp`,
      `http://2130706433:${i}/ocsp`,
      `http://[::ffff:127.0.0.1]:${i}/ocsp`,
      'http://169.254.169.254/latest/meta-data/',
    ];
    const leaf = opensslCert(
      'sleaf',
      '/CN=Seal/O=Institution S',
      [
        ...SEAL_EXT,
        `authorityInfoAccess=${[
          ...inward,
          ...Array.from({ length: FAN }, (_, k) => `http://127.0.0.1:${a}/ocsp/${k}`),
        ]
          .map((u) => `OCSP;URI:${u}`)
          .join(',')}`,
        `crlDistributionPoints=${[
          `http://127.0.0.1:${i}/ca.crl`,
          `http://127.0.0.1:${a}/redirect`,
          ...Array.from({ length: FAN }, (_, k) => `http://127.0.0.1:${a}/crl/${k}`),
        ]
          .map((u) => `URI:${u}`)
          .join(',')}`,
      ],
      'sca',
    );
    const imported = await adminS.post('/admin/seal/import', {
      privateKey: leaf.keyPem,
      certificates: leaf.pem + own.pem,
    });
    expect(imported.status).toBe(303);

    const template = await publishExampleTemplate(institutionS);
    await tool.startWorker();
    const hitsBefore = attacker.hits.length;
    const stampsBefore = tsa.requests;
    const issued = await issueThroughWorker(tool, await bindCourse(institutionS, issuerS, template), [
      { id: 'fan-out-learner', name: 'Fan Out' },
    ]);
    const c = issued.get('fan-out-learner')!;
    const etsiU = ((c.elm as any).signatures[0].header.etsiU as string[]).map((e) =>
      Object.keys(JSON.parse(Buffer.from(e, 'base64url').toString())),
    );
    // Sealed and time-stamped, at B-T: no revocation service answered.
    expect(etsiU.flat()).toEqual(['sigTst']);
    expect(tsa.requests).toBeGreaterThan(stampsBefore);
    expect(await Credential.countDocuments({ _id: c._id })).toBe(1);

    // Held: nothing inward was reached, directly or by the attacker host's redirect.
    expect(internal.connections).toBe(0);
    expect(internal.hits).toEqual([]);
    // Finding: one credential, 2 x FAN + 1 requests to wherever the certificate points (15 s timeout each).
    const fanned = attacker.hits.slice(hitsBefore);
    console.log(`one sealed credential made ${fanned.length} outbound requests to the certificate's URLs`);
    expect(fanned.filter((h) => h.startsWith('POST /ocsp/'))).toHaveLength(FAN);
    expect(fanned.filter((h) => h.startsWith('GET /crl/'))).toHaveLength(FAN);
    expect(fanned).toContain('GET /redirect');
  }, 240_000);
});
