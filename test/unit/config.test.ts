import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseRedisUrl, queueKeyPrefix } from '../../src/queue/redis-topology.js';
import { ConfigError, envSchema, loadConfig } from '../../src/config/env.js';
import { replicaSetDefaults } from '../../src/db/connection.js';

const required = { MONGODB_URI: 'mongodb://127.0.0.1:27017/credbridge', REDIS_URL: 'redis://127.0.0.1:6379' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('applies defaults when only the required settings are given', () => {
    const config = loadConfig(required);
    expect(config.PORT).toBe(3000);
    expect(config.QUEUE_PREFIX).toBe('credbridge');
    expect(config.TRUST_PROXY).toBe(false);
    expect(config.WORKER_CONCURRENCY).toBe(8);
  });

  it('names every missing required setting', () => {
    expect(problemsOf({})).toEqual(
      expect.arrayContaining(['MONGODB_URI is required but not set', 'REDIS_URL is required but not set']),
    );
  });

  it('treats an empty variable as not set', () => {
    expect(problemsOf({ ...required, MONGODB_URI: '' })).toEqual(['MONGODB_URI is required but not set']);
  });

  it('names a malformed setting with what is wrong', () => {
    const problems = problemsOf({ ...required, PORT: 'eighty', REDIS_URL: 'http://nope' });
    expect(problems.some((p) => p.startsWith('PORT:'))).toBe(true);
    expect(problems).toContain(
      'REDIS_URL: must be redis://, rediss://, redis+sentinel://host:port[,host:port]/<primary name> or redis+cluster://host:port[,host:port]',
    );
  });

  it('waits for a majority and retries on a replica set unless the MongoDB URI says otherwise', () => {
    expect(replicaSetDefaults('mongodb://db1,db2,db3/credbridge?replicaSet=rs0')).toEqual({
      writeConcern: { w: 'majority', wtimeoutMS: 10_000 },
      retryWrites: true,
      retryReads: true,
    });
    expect(replicaSetDefaults('mongodb://db1/credbridge?w=1&retryWrites=false')).toEqual({
      retryReads: true,
    });
    expect(loadConfig(required).DB_DASHBOARD_READ_PREFERENCE).toBe('primary');
    expect(problemsOf({ ...required, DB_DASHBOARD_READ_PREFERENCE: 'secondaries' })[0]).toMatch(
      /^DB_DASHBOARD_READ_PREFERENCE: .*secondaryPreferred/,
    );
  });

  it('reads the three Redis topologies of REDIS_URL, and names what a malformed one lacks', () => {
    expect(parseRedisUrl('rediss://user:pw@cache.example:6380/2')).toEqual({
      kind: 'single',
      url: 'rediss://user:pw@cache.example:6380/2',
    });
    expect(parseRedisUrl('redis+sentinel://:s%40cret@10.0.0.1:26379,sentinel-2:26379/primary-a/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
      ],
      name: 'primary-a',
      db: 3,
      password: 's@cret',
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://[::1]:7000,node-b:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '::1', port: 7000 },
        { host: 'node-b', port: 7001 },
      ],
      tls: true,
    });
    expect(problemsOf({ ...required, REDIS_URL: 'redis+sentinel://s1:26379' })).toEqual([
      'REDIS_URL: a Sentinel URL must name the primary after the hosts: .../<primary name>',
    ]);
    expect(problemsOf({ ...required, REDIS_URL: 'redis+cluster://n1:7000,n2' })).toEqual([
      'REDIS_URL: every host must be host:port (a port from 1 to 65535): n1:7000,n2',
    ]);
    expect(problemsOf({ ...required, REDIS_URL: 'redis+cluster://n1:7000/mymaster' })).toEqual([
      'REDIS_URL: a cluster URL names seed nodes only (no primary name, no database)',
    ]);
    expect(queueKeyPrefix('credbridge', 'issue')).toBe('{credbridge:issue}');
  });

  it('refuses an out-of-range number and an unknown enum value', () => {
    const problems = problemsOf({ ...required, WORKER_CONCURRENCY: '0', LOG_LEVEL: 'loud' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'WORKER_CONCURRENCY']);
  });

  it('reads TRUSTED_ISSUERS as a list of DIDs and names each entry that is not one', () => {
    const key = 'did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH';
    expect(loadConfig(required).TRUSTED_ISSUERS).toEqual([]);
    expect(
      loadConfig({ ...required, TRUSTED_ISSUERS: ` ${key} ,did:web:cred.example.org:issuers:x,` })
        .TRUSTED_ISSUERS,
    ).toEqual([key, 'did:web:cred.example.org:issuers:x']);
    const [problem] = problemsOf({
      ...required,
      TRUSTED_ISSUERS: `${key},university,did:key:z6Mkshort,did:web:x#k`,
    });
    expect(problem).toMatch(
      /^TRUSTED_ISSUERS: not a DID or https URL: university, did:key:z6Mkshort, did:web:x#k /,
    );
  });

  it('accepts https issuers in TRUSTED_ISSUERS, and P-256 did:keys', () => {
    const trusted = [
      'https://badges.example.edu/issuers/7',
      'did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169',
    ];
    expect(loadConfig({ ...required, TRUSTED_ISSUERS: trusted.join(',') }).TRUSTED_ISSUERS).toEqual(trusted);
    expect(problemsOf({ ...required, TRUSTED_ISSUERS: 'http://plain.example/issuer' })[0]).toMatch(
      /^TRUSTED_ISSUERS: not a DID or https URL: http:\/\/plain\.example\/issuer/,
    );
  });

  it('reads EXTRA_CONTEXTS as URL=FILE pairs, and names the entry it cannot use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credbridge-contexts-'));
    const file = join(dir, 'examples-v2.jsonld');
    await writeFile(file, JSON.stringify({ '@context': { ex: 'https://example.org/#' } }));
    const url = 'https://www.w3.org/ns/credentials/examples/v2';
    const contexts = loadConfig({ ...required, EXTRA_CONTEXTS: `${url}=${file}` }).EXTRA_CONTEXTS;
    expect(contexts.get(url)).toEqual({ '@context': { ex: 'https://example.org/#' } });
    expect(loadConfig(required).EXTRA_CONTEXTS.size).toBe(0);
    const problems = problemsOf({
      ...required,
      EXTRA_CONTEXTS: `${url}=${join(dir, 'missing.jsonld')},nofile`,
    });
    expect(problems[0]).toMatch(/^EXTRA_CONTEXTS: .*examples\/v2: cannot use .*missing\.jsonld/);
    expect(problems.join('\n')).toContain('"nofile" is not URL=FILE');
    await rm(dir, { recursive: true, force: true });
  });

  it('reads OUTBOUND_CA_FILE as PEM, naming a file that is not one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credbridge-ca-'));
    const file = join(dir, 'ca.pem');
    await writeFile(file, 'not a certificate');
    expect(problemsOf({ ...required, OUTBOUND_CA_FILE: file })[0]).toMatch(
      /^OUTBOUND_CA_FILE: cannot use .*no PEM/,
    );
    expect(loadConfig(required).OUTBOUND_CA_FILE).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });

  it('caches verification results 60 s by default; 0 turns the cache off', () => {
    expect(loadConfig(required).VERIFY_CACHE_SECONDS).toBe(60);
    expect(loadConfig({ ...required, VERIFY_CACHE_SECONDS: '0' }).VERIFY_CACHE_SECONDS).toBe(0);
    expect(problemsOf({ ...required, VERIFY_CACHE_SECONDS: '-1' })[0]).toMatch(/^VERIFY_CACHE_SECONDS:/);
  });

  it('refuses insecure LTI cookies in production, naming the setting and why', () => {
    const problems = problemsOf({ ...required, NODE_ENV: 'production', LTI_INSECURE_COOKIES: 'true' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^LTI_INSECURE_COOKIES: .*NODE_ENV=production.*Secure/);
    // Named alongside the other problems, not only once they are fixed.
    expect(
      problemsOf({ ...required, NODE_ENV: 'production', LTI_INSECURE_COOKIES: 'true', PORT: 'x' })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['LTI_INSECURE_COOKIES', 'PORT']);
  });

  it('allows insecure LTI cookies outside production, and secure ones in production', () => {
    expect(
      loadConfig({ ...required, NODE_ENV: 'development', LTI_INSECURE_COOKIES: 'true' }).LTI_INSECURE_COOKIES,
    ).toBe(true);
    expect(loadConfig({ ...required, LTI_INSECURE_COOKIES: 'true' }).LTI_INSECURE_COOKIES).toBe(true);
    expect(loadConfig({ ...required, NODE_ENV: 'production', LTI_INSECURE_COOKIES: 'false' }).NODE_ENV).toBe(
      'production',
    );
  });

  it('reads OUTBOUND_ALLOW_PRIVATE_HOSTS as host and host:port entries, naming it when one is malformed', () => {
    expect(loadConfig(required).OUTBOUND_ALLOW_PRIVATE_HOSTS).toEqual([]);
    const entries = 'moodle.campus.local, 10.0.0.5:8443,[fd00::1]:80,[::1]';
    expect(
      loadConfig({ ...required, OUTBOUND_ALLOW_PRIVATE_HOSTS: entries }).OUTBOUND_ALLOW_PRIVATE_HOSTS,
    ).toEqual(['moodle.campus.local', '10.0.0.5:8443', '[fd00::1]:80', '[::1]']);
    for (const bad of [
      'http://lms.local',
      'lms.local:99999',
      'lms.local/moodle',
      '::1',
      '*.campus.local',
      'a b',
    ]) {
      const problems = problemsOf({ ...required, OUTBOUND_ALLOW_PRIVATE_HOSTS: `ok.local,${bad}` });
      expect(problems).toEqual([
        expect.stringMatching(/^OUTBOUND_ALLOW_PRIVATE_HOSTS: not a host or host:port/),
      ]);
      expect(problems[0]).toContain(`"${bad}"`);
    }
  });

  it('documents exactly the settings the schema reads in .env.example', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(envSchema.shape).sort());
    // Each setting has a comment line right above it.
    const lines = example.split('\n');
    for (const name of documented) {
      const at = lines.findIndex((l) => new RegExp(`^#?\\s*${name}=`).test(l));
      expect(lines[at - 1]).toMatch(/^#/);
    }
  });
});
