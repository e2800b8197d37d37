import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { Institution } from '../../src/institutions/institution-model.js';
import { adoptLegacyRecords } from '../../src/institutions/legacy-adoption.js';
import { Issuer } from '../../src/issuers/issuer-model.js';
import { LtiPlatform } from '../../src/lti/models.js';
import { Template } from '../../src/templates/template-model.js';
import { importTemplate } from '../../src/templates/lifecycle.js';
import { exampleTemplate } from '../helpers/institution.js';
import { silentLogger, testConfig } from '../helpers/env.js';

/**
 * An installation from before institutions, as its collections hold it (written past the models' validation),
 * adopted at start: every record gets its owner once, and starting again changes nothing.
 */
beforeAll(async () => {
  await connectDatabase(testConfig().MONGODB_URI, silentLogger());
  const db = mongoose.connection.db!;
  const profile = exampleTemplate().awardingBodies[0]!;
  await db.collection('issuers').insertMany([
    { _id: 'old-root' as never, did: 'did:web:old.example', profile, isDefault: true, keys: [] },
    { _id: 'old-second' as never, did: 'did:web:old.example:issuers:old-second', profile, keys: [] },
  ]);
  await db.collection('lti_platforms').insertOne({
    issuer: 'https://moodle.old.example',
    clientId: 'c1',
    authLoginUrl: 'https://moodle.old.example/auth',
    tokenUrl: 'https://moodle.old.example/token',
    jwksUrl: 'https://moodle.old.example/jwks',
    status: 'active',
    registeredBy: 'dynamic',
  });
  // The old installation-wide unique index on template keys.
  await db.collection('templates').createIndex({ key: 1, version: 1 }, { unique: true });
  await db
    .collection('templates')
    .insertOne({ key: 'old-course', version: 1, status: 'published', data: {} });
  await db
    .collection('course_bindings')
    .insertOne({ platformId: 'p', contextId: 'c', templateId: 'old-course' });
  await db
    .collection('lti_sessions')
    .insertOne({ tokenHash: 'x', platformId: new mongoose.Types.ObjectId() });
}, 120_000);

afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
});

describe('adopting records from before institutions', () => {
  it('gives each issuer its institution and everything else to the root issuer’s, once', async () => {
    await adoptLegacyRecords(silentLogger());
    expect((await Institution.find().sort({ _id: 1 }).lean()).map((i) => i._id)).toEqual([
      'old-root',
      'old-second',
    ]);
    expect((await Issuer.find().sort({ _id: 1 }).lean()).map((i) => i.institutionId)).toEqual([
      'old-root',
      'old-second',
    ]);
    expect(await LtiPlatform.findOne().lean()).toMatchObject({
      institutionId: 'old-root',
      toolKeyScope: 'installation',
    });
    expect((await Template.findOne({ key: 'old-course' }).lean())?.institutionId).toBe('old-root');
    expect((await CourseBinding.findOne().lean())?.institutionId).toBe('old-root');
    // Sessions of earlier versions are gone with their collection; holders launch or sign in again.
    const collections = (await mongoose.connection.db!.listCollections().toArray()).map((c) => c.name);
    expect(collections).not.toContain('lti_sessions');
    expect(collections).toContain('templates');
    // Keys are each institution's now: another institution may use the same one.
    const again = await importTemplate('old-second', { ...exampleTemplate(), key: 'old-course' });
    expect(again).toMatchObject({ institutionId: 'old-second', key: 'old-course', version: 1 });
  });

  it('changes nothing when run again', async () => {
    const before = await Promise.all([
      Institution.find().lean(),
      LtiPlatform.find().lean(),
      Template.find().lean(),
    ]);
    await adoptLegacyRecords(silentLogger());
    const after = await Promise.all([
      Institution.find().lean(),
      LtiPlatform.find().lean(),
      Template.find().lean(),
    ]);
    expect(after).toEqual(before);
  });
});
