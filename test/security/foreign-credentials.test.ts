/* eslint-disable @typescript-eslint/no-explicit-any -- the tests walk signed JSON documents by path */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { BitstringStatusList, createCredential } from '@digitalbazaar/vc-bitstring-status-list';
import { createDocumentLoader } from '../../src/credentials/document-loader.js';
import { generateDidKey } from '../../src/credentials/did-key.js';
import { verifyCredential } from '../../src/credentials/verifier.js';
import { installationVerification } from '../../src/issuers/recognition.js';
import { createTestInstitution } from '../helpers/institution.js';
import { ADMIN_TOKEN, startTool, type ToolUnderTest } from '../helpers/tool.js';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Credentials from other issuers, verified through this installation's HTTP API the way a stranger would submit
 * them: a did:web issuer on its own TLS server (test CA, trusted through OUTBOUND_CA_FILE), an https issuer whose
 * key is a URL, Ed25519Signature2020 and ecdsa-rdfc-2019 proofs, another issuer's status list, a presentation
 * of two credentials, tampered copies of each; and issuers that point the verifier at an internal service on
 * loopback, which must never be reached.
 */
let dir: string;
let tls: HttpsServer;
let host: string; // localhost:<port>
let internal: TcpServer;
let internalConnections = 0;
let internalPort: number;
let tool: ToolUnderTest;
const served = new Map<string, object>();
const hits = new Map<string, number>();

const signingLoader = createDocumentLoader();

/** An operator's extra context (EXTRA_CONTEXTS): the shape of the W3C examples context, served from a file. */
const EXAMPLES_URL = 'https://www.w3.org/ns/credentials/examples/v2';
const EXAMPLES_CONTEXT = { '@context': { '@vocab': 'https://www.w3.org/ns/credentials/examples#' } };
/** A related resource, served as text by the issuer's server. */
const SYLLABUS = 'Applied Data Analysis: syllabus, version 3';

const TEMPLATE = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiableCredential'],
  credentialSubject: { id: 'did:example:learner', name: 'Ana' },
};

async function sign(credential: Record<string, unknown>, suite: unknown) {
  return vc.issue({ credential: structuredClone(credential), suite, documentLoader: signingLoader });
}

/** A credential of the did:web issuer (eddsa-rdfc-2022) or of the https issuer (ecdsa-rdfc-2019). */
const byWebIssuer = (extra: Record<string, unknown> = {}) =>
  sign(
    { ...TEMPLATE, issuer: webDid, ...extra },
    new DataIntegrityProof({ signer: webKey.signer(), cryptosuite: eddsaRdfc2022 }),
  );
const byHttpsIssuer = (extra: Record<string, unknown> = {}) =>
  sign(
    { ...TEMPLATE, issuer: httpsIssuer, ...extra },
    new DataIntegrityProof({ signer: ecdsaKey.signer(), cryptosuite: ecdsaRdfc2019 }),
  );

/** A 1-bit revocation entry at `index` of the list at `listUrl`. */
const revocationEntry = (listUrl: string, index = 1) => ({
  id: `${listUrl}#${index}`,
  type: 'BitstringStatusListEntry',
  statusPurpose: 'revocation',
  statusListIndex: String(index),
  statusListCredential: listUrl,
});

function tampered(doc: Record<string, unknown>) {
  const copy = structuredClone(doc) as any;
  copy.credentialSubject.id = 'did:example:learnes';
  return copy;
}

async function verify(credential: unknown) {
  const res = await fetch(`${tool.url}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential: credential }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const check = (body: any, name: string) => body.results.find((c: any) => c.check === name);

// Issuers and their documents.
let webDid: string;
let webKey: Awaited<ReturnType<typeof Ed25519Multikey.generate>>;
let httpsIssuer: string;
let ecdsaKey: Awaited<ReturnType<typeof EcdsaMultikey.generate>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credbridge-foreign-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(
    'req',
    '-x509',
    ...p256,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Credbridge test CA',
  );
  run('req', ...p256, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=localhost');
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n');
  run(
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'tls.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );

  tls = createHttpsServer(
    { key: await readFile(join(dir, 'tls.key')), cert: await readFile(join(dir, 'tls.pem')) },
    (req, res) => {
      hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
      const doc = served.get(req.url!);
      res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
      res.end(typeof doc === 'string' ? doc : doc ? JSON.stringify(doc) : '{}');
    },
  );
  tls.listen(0, '127.0.0.1');
  await once(tls, 'listening');
  const port = (tls.address() as { port: number }).port;
  host = `localhost:${port}`;

  // An internal service on loopback: any connection to it is a failure of the outbound guard.
  internal = createTcpServer((socket) => {
    internalConnections++;
    socket.destroy();
  });
  internal.listen(0, '127.0.0.1');
  await once(internal, 'listening');
  internalPort = (internal.address() as { port: number }).port;

  // A did:web issuer with an Ed25519 key, its status list, and an https issuer with a P-256 key.
  webDid = `did:web:localhost%3A${port}`;
  webKey = await Ed25519Multikey.generate({ id: `${webDid}#key-1`, controller: webDid });
  served.set('/.well-known/did.json', {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: webDid,
    verificationMethod: [
      {
        id: `${webDid}#key-1`,
        type: 'Multikey',
        controller: webDid,
        publicKeyMultibase: webKey.publicKeyMultibase,
      },
    ],
    assertionMethod: [`${webDid}#key-1`],
  });
  const list = new BitstringStatusList({ length: 131_072 });
  list.setStatus(7, true); // position 7 is revoked
  const listUrl = `https://${host}/status/1`;
  served.set(
    '/status/1',
    await sign(
      { ...(await createCredential({ id: listUrl, list, statusPurpose: 'revocation' })), issuer: webDid },
      new DataIntegrityProof({ signer: webKey.signer(), cryptosuite: eddsaRdfc2022 }),
    ),
  );

  httpsIssuer = `https://${host}/issuers/7`;
  ecdsaKey = await EcdsaMultikey.generate({
    curve: 'P-256',
    id: `https://${host}/keys/7`,
    controller: httpsIssuer,
  });
  served.set('/keys/7', {
    '@context': 'https://w3id.org/security/multikey/v1',
    id: `https://${host}/keys/7`,
    type: 'Multikey',
    controller: httpsIssuer,
    publicKeyMultibase: ecdsaKey.publicKeyMultibase,
  });
  served.set('/issuers/7', {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: httpsIssuer,
    assertionMethod: [`https://${host}/keys/7`],
  });

  await writeFile(join(dir, 'examples-v2.jsonld'), JSON.stringify(EXAMPLES_CONTEXT));
  tool = await startTool({
    OUTBOUND_ALLOW_PRIVATE_HOSTS: host,
    OUTBOUND_CA_FILE: join(dir, 'ca.pem'),
    RATE_LIMIT_DISABLED: 'true',
    EXTRA_CONTEXTS: `${EXAMPLES_URL}=${join(dir, 'examples-v2.jsonld')}`,
  });
  served.set('/files/syllabus.txt', SYLLABUS as unknown as object);
  await createTestInstitution(tool);
}, 60_000);

afterAll(async () => {
  await tool?.close();
  tls?.close();
  internal?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('credentials of other issuers', () => {
  it('verifies an eddsa-rdfc-2022 credential of a did:web issuer over HTTPS, with its status list, fetching the DID once', async () => {
    const suite = new DataIntegrityProof({ signer: webKey.signer(), cryptosuite: eddsaRdfc2022 });
    const entry = (index: number) => revocationEntry(`https://${host}/status/1`, index);
    const good = await sign({ ...TEMPLATE, issuer: webDid, credentialStatus: entry(3) }, suite);
    const revoked = await sign({ ...TEMPLATE, issuer: webDid, credentialStatus: entry(7) }, suite);

    const ok = await verify(good);
    // Genuine and unrevoked, but nobody here vouches for its issuer: not "verified" (400), and it says why.
    expect(ok.status).toBe(400);
    expect(ok.body.verdict).toBe('issuer-not-recognised');
    expect(ok.body.verified).toBe(false);
    expect(check(ok.body, 'proof')).toMatchObject({ ok: true, message: 'eddsa-rdfc-2022 proof verified' });
    expect(check(ok.body, 'status')).toMatchObject({ ok: true });
    expect(check(ok.body, 'issuer').message).toContain('not recognised');

    const gone = await verify(revoked);
    expect(check(gone.body, 'status')).toMatchObject({ ok: false, message: 'revoked' });
    expect(check(gone.body, 'proof')).toMatchObject({ ok: true });

    const changed = await verify(tampered(good));
    expect(changed.body.verdict).toBe('not-verified');
    expect(check(changed.body, 'proof').ok).toBe(false);
    // One fetch of the DID document for all of them: resolution is cached.
    expect(hits.get('/.well-known/did.json')).toBe(1);
  });

  it('is recognised when the operator trusts the issuer (TRUSTED_ISSUERS), by DID or https URL', async () => {
    // In this process, through the same outbound guard the tool configured.
    const trusting = installationVerification({
      PUBLIC_URL: tool.url,
      TRUSTED_ISSUERS: [webDid, httpsIssuer],
    });
    for (const credential of [await byWebIssuer(), await byHttpsIssuer()]) {
      const result = await verifyCredential(credential, trusting);
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.verdict).toBe('verified');
      expect(result.issuer?.recognised).toBe('trusted-list');
    }
  });

  it('verifies Ed25519Signature2020 proofs (did:key and did:web), and refuses tampered copies', async () => {
    const key = await generateDidKey();
    const v1 = {
      '@context': [
        'https://www.w3.org/2018/credentials/v1',
        'https://w3id.org/security/suites/ed25519-2020/v1',
      ],
      type: ['VerifiableCredential'],
      issuanceDate: '2026-01-01T00:00:00Z',
      credentialSubject: { id: 'did:example:learner' },
    };
    for (const [issuer, signer] of [
      [key.controller!, key.signer()],
      [webDid, webKey.signer()],
    ] as const) {
      const credential = await sign({ ...v1, issuer }, new Ed25519Signature2020({ signer }));
      expect((credential.proof as any).type).toBe('Ed25519Signature2020');
      const ok = await verify(credential);
      expect(check(ok.body, 'proof')).toMatchObject({
        ok: true,
        message: 'Ed25519Signature2020 proof verified',
      });
      expect(ok.body.verdict).toBe('issuer-not-recognised');
      const changed = await verify(tampered(credential));
      expect(check(changed.body, 'proof').ok).toBe(false);
    }
  });

  it('verifies ecdsa-rdfc-2019 (P-256) of an https issuer whose key is a URL, and refuses a tampered copy', async () => {
    const credential = await sign(
      { ...TEMPLATE, issuer: { id: httpsIssuer, name: 'Example Badges' } },
      new DataIntegrityProof({ signer: ecdsaKey.signer(), cryptosuite: ecdsaRdfc2019 }),
    );
    expect((credential.proof as any).cryptosuite).toBe('ecdsa-rdfc-2019');
    const ok = await verify(credential);
    expect(check(ok.body, 'proof')).toMatchObject({ ok: true, message: 'ecdsa-rdfc-2019 proof verified' });
    expect(ok.body.issuer).toMatchObject({
      id: httpsIssuer,
      recognised: false,
      statedName: 'Example Badges',
    });
    expect(ok.body.verdict).toBe('issuer-not-recognised');
    const changed = await verify(tampered(credential));
    expect(changed.body.verdict).toBe('not-verified');
  });

  it('verifies a presentation of two credentials signed by its holder, and refuses tampered ones', async () => {
    const holder = await generateDidKey();
    const [one, two] = [await byWebIssuer(), await byHttpsIssuer()];
    const presentation = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiablePresentation'],
      holder: holder.controller!,
      verifiableCredential: [one, two],
    };
    const signed = await vc.signPresentation({
      presentation: structuredClone(presentation),
      suite: new DataIntegrityProof({ signer: holder.signer(), cryptosuite: eddsaRdfc2022 }),
      documentLoader: signingLoader,
      challenge: 'c-123',
    });
    const post = async (vp: unknown, options: Record<string, unknown> = { challenge: 'c-123' }) => {
      const res = await fetch(`${tool.url}/presentations/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verifiablePresentation: vp, options }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const ok = await post(signed);
    expect(ok.body.presentationResult.checks.map((c: any) => [c.check, c.ok])).toEqual([
      ['input', true],
      ['proof', true],
      ['holder', true],
    ]);
    expect(ok.body.credentialResults.map((r: any) => r.verdict)).toEqual([
      'issuer-not-recognised',
      'issuer-not-recognised',
    ]);
    expect(ok.body.verdict).toBe('issuer-not-recognised');

    // Another challenge: a replay.
    const replay = await post(signed, { challenge: 'other' });
    expect(replay.status).toBe(400);
    expect(replay.body.errors.join()).toMatch(/presentation proof/);
    // A credential changed inside the signed presentation breaks both.
    const inner = structuredClone(signed) as any;
    inner.verifiableCredential[1].credentialSubject.id = 'did:example:learnes';
    const broken = await post(inner);
    expect(broken.body.verdict).toBe('not-verified');
    expect(broken.body.credentialResults[1].verdict).toBe('not-verified');
    expect(broken.body.presentationResult.checks.find((c: any) => c.check === 'proof').ok).toBe(false);
    // Unsigned: the credentials are judged, with a warning that nothing proves who presents them.
    const unsigned = await post(presentation, {});
    expect(unsigned.body.credentialResults).toHaveLength(2);
    expect(unsigned.body.warnings.join()).toMatch(/not signed/);

    // The public verify page takes the same presentation, pasted: its own checks, then each credential.
    const form = await fetch(`${tool.url}/verify`);
    const cookie = form.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const page = await fetch(`${tool.url}/verify?lang=en`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, credential: JSON.stringify(signed) }),
    }).then((r) => r.text());
    expect(page).toContain('The presentation');
    expect(page).toContain('Credential 2 of 2');
    expect(page).toContain('The presentation is signed by the holder it names.');
    expect(page).not.toContain('is not signed');
  });
});

describe('issuers that point the verifier elsewhere', () => {
  it('never reaches an internal service on loopback, by did:web or by https issuer', async () => {
    const key = await Ed25519Multikey.generate();
    const rogueDid = `did:web:127.0.0.1%3A${internalPort}`;
    const rogueUrl = `https://127.0.0.1:${internalPort}/issuer`;
    for (const [issuer, vm] of [
      [rogueDid, `${rogueDid}#key-1`],
      [rogueUrl, `${rogueUrl}#key-1`],
    ]) {
      const signer = { ...key.signer(), id: vm };
      const credential = await sign(
        { ...TEMPLATE, issuer },
        new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
      );
      const res = await verify(credential);
      expect(res.body.verdict).toBe('not-verified');
      expect(check(res.body, 'issuer').ok).toBe(false);
    }
    // A status list on the internal service is not fetched either.
    const suite = new DataIntegrityProof({ signer: webKey.signer(), cryptosuite: eddsaRdfc2022 });
    const pointing = await sign(
      {
        ...TEMPLATE,
        issuer: webDid,
        credentialStatus: revocationEntry(`https://127.0.0.1:${internalPort}/list`),
      },
      suite,
    );
    expect(check((await verify(pointing)).body, 'status').ok).toBe(false);
    expect(internalConnections).toBe(0);
  });

  it('fetches nothing over plain http, and no context it does not have', async () => {
    const before = [...hits.values()].reduce((a, b) => a + b, 0);
    const key = await Ed25519Multikey.generate();
    const plain = `http://${host}/issuers/7`;
    const credential = await sign(
      { ...TEMPLATE, issuer: plain },
      new DataIntegrityProof({ signer: { ...key.signer(), id: `${plain}#k` }, cryptosuite: eddsaRdfc2022 }),
    );
    expect((await verify(credential)).body.verdict).toBe('not-verified');
    // Signed by someone whose loader knew the context; this installation does not have it and must not fetch it.
    const contextUrl = `https://${host}/context.jsonld`;
    const context = { '@context': { nickname: 'https://example.org/#nickname' } };
    served.set('/context.jsonld', context);
    const withContext = await vc.issue({
      credential: {
        ...TEMPLATE,
        '@context': ['https://www.w3.org/ns/credentials/v2', contextUrl],
        credentialSubject: { id: 'did:example:learner', nickname: 'Ana' },
        issuer: webDid,
      },
      suite: new DataIntegrityProof({ signer: webKey.signer(), cryptosuite: eddsaRdfc2022 }),
      documentLoader: async (url: string) =>
        url === contextUrl ? { contextUrl: null, documentUrl: url, document: context } : signingLoader(url),
    });
    const res = await verify(withContext);
    expect(res.body.verdict).toBe('not-verified');
    expect(check(res.body, 'proof').message).toMatch(/EXTRA_CONTEXTS/);
    expect([...hits.values()].reduce((a, b) => a + b, 0)).toBe(before);
  });
});

describe("VC API issue and verify: related resources and the operator's contexts", () => {
  const issue = (credential: Record<string, unknown>) =>
    fetch(`${tool.url}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credential }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  const ourDid = () => `did:web:${encodeURIComponent(new URL(tool.url).host)}`;
  const resource = () => `https://${host}/files/syllabus.txt`;
  const sri = (text: string) => `sha384-${createHash('sha384').update(text).digest('base64')}`;
  const multibase = (text: string) =>
    `u${Buffer.concat([Buffer.from([0x12, 0x20]), createHash('sha256').update(text).digest()]).toString('base64url')}`;

  it('checks related resources against their digests when issuing and when verifying', async () => {
    const issued = await issue({
      ...TEMPLATE,
      issuer: ourDid(),
      relatedResource: [{ id: resource(), digestSRI: sri(SYLLABUS), digestMultibase: multibase(SYLLABUS) }],
    });
    expect(issued.status).toBe(201);
    const ok = await verify(issued.body.verifiableCredential);
    expect(check(ok.body, 'relatedResource')).toMatchObject({ ok: true });
    expect(ok.body.verdict).toBe('verified');

    const wrong = await issue({
      ...TEMPLATE,
      issuer: ourDid(),
      relatedResource: [{ id: resource(), digestSRI: sri('another syllabus') }],
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toBe(
      `credential.relatedResource[0].digestSRI: does not match the resource at ${resource()}`,
    );

    // The resource changes after issuing: the credential no longer verifies.
    served.set('/files/syllabus.txt', 'Applied Data Analysis: syllabus, version 4' as unknown as object);
    const changed = await verify(issued.body.verifiableCredential);
    expect(check(changed.body, 'relatedResource')).toMatchObject({ ok: false });
    expect(check(changed.body, 'relatedResource').message).toContain('digestMultibase: does not match');
    expect(changed.body.verdict).toBe('not-verified');
    served.set('/files/syllabus.txt', SYLLABUS as unknown as object);
  });

  it('accepts the contexts of EXTRA_CONTEXTS, and names the setting for any other', async () => {
    const withExamples = await issue({
      ...TEMPLATE,
      '@context': ['https://www.w3.org/ns/credentials/v2', EXAMPLES_URL],
      type: ['VerifiableCredential', 'ExampleDegreeCredential'],
      issuer: ourDid(),
    });
    expect(withExamples.status).toBe(201);
    expect((await verify(withExamples.body.verifiableCredential)).body.verdict).toBe('verified');
    const other = await issue({
      ...TEMPLATE,
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://contexts.example.org/v1'],
      issuer: ourDid(),
    });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/https:\/\/contexts\.example\.org\/v1.*EXTRA_CONTEXTS/);
  });
});

describe("what a stranger's submission can make the verifier do", () => {
  const totalHits = () => [...hits.values()].reduce((a, b) => a + b, 0);

  it('fetches only the key of a credential whose proof fails: no status list, no related resource', async () => {
    const before = { list: hits.get('/status/1') ?? 0, file: hits.get('/files/syllabus.txt') ?? 0 };
    const unsigned = {
      ...TEMPLATE,
      issuer: webDid,
      credentialStatus: revocationEntry(`https://${host}/status/1`),
      relatedResource: [{ id: `https://${host}/files/syllabus.txt`, digestSRI: `sha256-${'A'.repeat(43)}=` }],
      proof: {
        type: 'DataIntegrityProof',
        cryptosuite: 'eddsa-rdfc-2022',
        proofPurpose: 'assertionMethod',
        verificationMethod: `https://${host}/keys/unsigned#1`,
        proofValue: 'z1111',
      },
    };
    const res = await verify(unsigned);
    expect(res.body.verdict).toBe('not-verified');
    expect(check(res.body, 'status').message).toBe('not checked: the proof did not verify');
    expect(check(res.body, 'relatedResource').message).toBe('not checked: the proof did not verify');
    // The key is needed to check the signature; what the unverified credential lists next is not fetched.
    expect(hits.get('/keys/unsigned')).toBe(1);
    expect({ list: hits.get('/status/1') ?? 0, file: hits.get('/files/syllabus.txt') ?? 0 }).toEqual(before);
  });

  it('refuses more proofs, status entries or related resources than a credential needs, before fetching', async () => {
    const before = totalHits();
    const many = {
      ...TEMPLATE,
      issuer: webDid,
      relatedResource: Array.from({ length: 11 }, (_, i) => ({
        id: `https://${host}/files/${i}`,
        digestSRI: `sha256-${'A'.repeat(43)}=`,
      })),
      proof: Array.from({ length: 5 }, (_, i) => ({
        type: 'DataIntegrityProof',
        verificationMethod: `https://${host}/k/${i}`,
      })),
    };
    const res = await verify(many);
    expect(check(res.body, 'input').message).toMatch(/proof: at most 4 are accepted/);
    expect(check(res.body, 'input').message).toMatch(/relatedResource: at most 10 are accepted/);
    expect(totalHits()).toBe(before);
  });

  it('reads a status list that inflates past 16 MB as undecodable, without decoding it', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(256 * 1024); // under the fetch limit: only the inflation bound stops it
    const listUrl = `https://${host}/status/bomb`;
    const unsignedList = await createCredential({
      id: listUrl,
      list: new BitstringStatusList({ length: 131_072 }),
      statusPurpose: 'revocation',
    });
    (unsignedList.credentialSubject as any).encodedList = `u${bomb.toString('base64url')}`;
    served.set('/status/bomb', await byWebIssuer({ ...unsignedList, issuer: webDid }));
    const credential = await byWebIssuer({
      credentialStatus: revocationEntry(listUrl),
    });
    const res = await verify(credential);
    expect(check(res.body, 'status')).toMatchObject({ ok: false });
    expect(check(res.body, 'status').message).toMatch(/cannot be decoded \(or is too large\)/);
    expect((await fetch(`${tool.url}/healthz`)).status).toBe(200);
  });

  it('does not let a presentation claim a holder through a proof that is not the one that verified', async () => {
    const victim = await generateDidKey();
    const attacker = await generateDidKey();
    const presentation = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiablePresentation'],
      holder: victim.controller!,
      verifiableCredential: [await byWebIssuer()],
    };
    const signed = await vc.signPresentation({
      presentation: structuredClone(presentation),
      suite: new DataIntegrityProof({ signer: attacker.signer(), cryptosuite: eddsaRdfc2022 }),
      documentLoader: signingLoader,
      challenge: 'c-9',
    });
    // Beside the attacker's valid proof, one no suite matches, naming the victim's key.
    const forged = {
      ...signed,
      proof: [signed.proof, { type: 'MadeUpProof2099', verificationMethod: `${victim.controller}#key` }],
    };
    for (const vp of [signed, forged]) {
      const res = await fetch(`${tool.url}/presentations/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verifiablePresentation: vp, options: { challenge: 'c-9' } }),
      });
      const body = (await res.json()) as any;
      expect(res.status).toBe(400);
      expect(body.verdict).toBe('not-verified');
      const own = Object.fromEntries(body.presentationResult.checks.map((c: any) => [c.check, c.ok]));
      expect(own.proof === false || own.holder === false).toBe(true);
    }
  });
});
