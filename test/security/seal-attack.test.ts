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
import { verifySeal } from '../../src/seals/jades-verify.js';
import {
  addSignatureTimestamp,
  requestTimestamp,
  signatureTimestampInput,
} from '../../src/seals/timestamp.js';
import { compromiseSeal } from '../../src/seals/seals.js';
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
 * Each test is a defence that holds. Those marked "held:" were findings of that attack, fixed since: a small body
 * that held the server (bounds on what a seal may carry), a PKCS#12 asking for millions of iterations, an anchored
 * stranger speaking for any DID, a subscriber certificate standing as a CA, a stolen key outliving its report and
 * an expired one backdating sigT, a CA certificate imported as a seal, and the sealer's unbounded OCSP/CRL calls.
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
      [
        'self-signed look-alike of the same name',
        strangerDoc,
        /but neither a seal of issuer .* here nor of an issuer on the trusted list/,
      ],
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
        /but neither a seal of issuer .* here nor of an issuer on the trusted list/,
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
    // On a seal whose chain is not anchored, the refusal reported is the forged time-stamp that refused it, not the
    // chain check that failed before it.
    const strangerStamped = withEtsiU(await seal(payload, [stranger.cert], stranger.key), [
      etsiEntry({ sigTst: { tstTokens: [{ val: Buffer.from(token).toString('base64') }] } }),
    ]);
    const reported = await verifyApi(strangerStamped);
    expect(reported.body.verified).toBe(false);
    expect(reported.body.errors).toEqual([
      'proof: JAdES seal: signature time-stamp refused: the time-stamp covers other data (its message imprint does not match)',
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

describe('an unauthenticated sealed document crafted to cost the verifier', () => {
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

  it('held: past the limits (8 certificates, 8 answers) the document is refused unread; within them it is judged', async () => {
    // 40 x 40 held the event loop for 13 to 25 s before the limits; the work grew as answers x certificates^2.
    const large = await crafted(40, 40);
    expect(JSON.stringify({ verifiableCredential: large }).length).toBeLessThan(32 * 1024);
    const refused = await verifyApi(large);
    expect(refused.status).toBe(400);
    expect(refused.body.errors.join(' ')).toMatch(/40 xVals certificates; at most 8 are read/);
    const manyAnswers = await crafted(4, 40);
    expect((await verifyApi(manyAnswers)).body.errors.join(' ')).toMatch(
      /more than 8 certificates or answers/,
    );
    // Within the limits: an intact stranger's seal, judged to the end (no issuer vouches for it).
    const within = await verifyApi(await crafted(8, 8));
    expect(within.body.results.find((c: any) => c.check === 'proof')).toMatchObject({ ok: true });
    expect(within.body.verdict).toBe('issuer-not-recognised');
  }, 120_000);
});

describe('a PKCS#12 upload asking for millions of key-derivation iterations', () => {
  it('held: is refused through the console before any derivation runs, naming the field', async () => {
    openssl(
      ...['pkcs12', '-export', '-inkey', 'sealb.key', '-in', 'sealb.pem'],
      ...['-out', 'iter.p12', '-passout', 'pass:whatever'],
    );
    const pfx = pkijs.PFX.fromBER(ab(readFileSync(join(dir, 'iter.p12'))));
    pfx.macData!.iterations = 1_500_000;
    const bomb = Buffer.from(pfx.toSchema().toBER());
    expect(bomb.length).toBeLessThan(2048);
    const form = new FormData();
    form.set('pkcs12', new Blob([new Uint8Array(bomb)]), 'seal.p12');
    form.set('password', 'anything');
    const res = await adminB.upload('/admin/seal/import', form);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(
      'pkcs12: its integrity check asks for 1500000 key-derivation iterations; at most 100000 are accepted',
    );
  }, 120_000);
});

describe('an anchored seal holder and issuer DIDs that are not this installation’s', () => {
  it('held: "Evil Ltd", a seal of the anchor CA, does not speak for Universität Heidelberg nor a DID on this host', async () => {
    // TRUSTED_ISSUERS is empty: nobody listed did:web:uni-heidelberg.example.
    expect(tool.config.TRUSTED_ISSUERS).toEqual([]);
    const doc = await seal(
      credential('did:web:uni-heidelberg.example', 'Ruprecht-Karls-Universität Heidelberg'),
      [evil.cert, qtsp.cert],
      evil.key,
    );
    const { status, body } = await verifyApi(doc);
    expect(status).toBe(400);
    expect(body).toMatchObject({
      verified: false,
      verdict: 'issuer-not-recognised',
      issuer: { id: 'did:web:uni-heidelberg.example', recognised: false },
    });
    expect(body.errors.join(' ')).toMatch(
      /a certificate chaining up to a trust anchor\), but neither a seal of issuer/,
    );
    const page = await verifyPage(doc);
    expect(page).not.toMatch(/which is on this service.{1,8}s list of trusted issuers/);

    // A DID on this very host that no institution here has.
    const lookalike = `${didA}:issuers:inst-a`;
    const onHost = await verifyApi(
      await seal(credential(lookalike, nameA), [evil.cert, qtsp.cert], evil.key),
    );
    expect(onHost.body).toMatchObject({ verified: false, issuer: { id: lookalike, recognised: false } });
  });
});

describe('the seal chain and certificates that are not CAs', () => {
  it('held: a subscriber’s CA:FALSE certificate (no keyUsage) of the anchor cannot stand as an intermediate CA', async () => {
    expect(nonCa.cert.ca).toBe(false);
    const doc = await seal(
      credential('did:web:uni-heidelberg.example', 'Universität Heidelberg'),
      [underNonCa.cert, nonCa.cert],
      underNonCa.key,
    );
    expect(await verifySeal(doc, { trustAnchors: [qtsp.cert] })).toMatchObject({ ok: true, trusted: false });
    // The control: a seal certificate the anchor issued itself does chain.
    const direct = await seal(credential('did:web:x.example', 'X'), [evil.cert, qtsp.cert], evil.key);
    expect(await verifySeal(direct, { trustAnchors: [qtsp.cert] })).toMatchObject({
      ok: true,
      trusted: true,
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

describe('a stolen institution seal key', () => {
  it('held: once the institution reports it compromised it vouches no more; an expired key cannot backdate sigT', async () => {
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
    // ...but the bearer may leave the values out, and verifying fetches nothing: the installation learns of the
    // compromise when the institution reports it (credbridge seal revoke).
    expect((await verifyApi(stolen)).body).toMatchObject({
      verified: true,
      issuer: { recognised: 'installation' },
    });
    const fingerprint = createHash('sha256').update(sealA.cert.raw).digest('base64url');
    const reportedAt = new Date();
    expect(await compromiseSeal('inst-a', fingerprint, reportedAt)).toMatchObject({ status: 'retired' });
    const after = await verifyApi(stolen);
    expect(after.body).toMatchObject({ verified: false, issuer: { recognised: false } });
    // A time-stamp from an anchored TSA older than the report would still prove it; one made now does not.
    await sleep(1_100); // a TSA's time has whole seconds
    const stamped = await addSignatureTimestamp(stolen, tsa.url);
    expect((await verifyApi(stamped)).body).toMatchObject({ verified: false, issuer: { recognised: false } });

    // A short-lived seal, imported, then expired: its key can no longer backdate sigT into its validity.
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
    await sleep(Math.max(0, validTo.getTime() - Date.now() + 1_500));
    expect(Date.now()).toBeGreaterThan(Date.parse(short.cert.validTo));
    const shortKey = KeyObject.from(short.keys.privateKey);
    const backdated = await seal(
      credential(didA, nameA),
      [short.cert, ca.cert],
      shortKey,
      new Date(validTo.getTime() - 3_000),
    );
    const backdatedResult = await verifyApi(backdated);
    expect(backdatedResult.body.verified).toBe(false);
    expect(backdatedResult.body.errors.join(' ')).toMatch(
      /the certificate was not valid at .*no time-stamp of an anchored TSA proves the seal was made while it was/,
    );
  }, 60_000);
});

describe('the seal import of the console', () => {
  it('held: refuses an expired and a not-yet-valid certificate, and a CA certificate as a seal', async () => {
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
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(
      'certificates: the certificate is a CA certificate, not a seal certificate',
    );
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

  it('held: never reach loopback, metadata or a redirect inward, and try at most two services of each kind', async () => {
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
    // Of the many URLs the certificate names, the first two OCSP responders (both inward, refused) and the first
    // two CRLs (one inward, one the attacker's redirect) were tried; none of the others.
    const fanned = attacker.hits.slice(hitsBefore);
    expect(fanned).toEqual(['GET /redirect']);
  }, 240_000);
});
