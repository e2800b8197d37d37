import { CourseBinding } from '../courses/binding-model.js';
import { Issuer } from '../issuers/issuer-model.js';
import { LtiPlatform, LtiToolKey } from '../lti/models.js';
import mongoose from 'mongoose';
import { INSTALLATION_KEYS } from '../lti/tool-keys.js';
import type { Logger } from '../log/logger.js';
import { Template } from '../templates/template-model.js';
import { Institution } from './institution-model.js';

/**
 * Gives every record of an installation from before institutions an owner, at process start; a no-op once
 * done (each step filters on the missing field, so concurrent processes and repeated starts agree):
 * 1. each issuer without an institution becomes an institution of its own id;
 * 2. platforms, templates and course bindings without one go to the root issuer's institution (or the only
 *    institution), as the single institution such an installation served;
 * 3. sessions from before the one web session store (the lti_sessions and admin_sessions collections) are
 *    dropped: their holders launch or sign in again. Platforms from before keep signing with the
 *    installation's LTI keys (/lti/jwks), which their LMS registered;
 * 4. the old installation-wide unique index on template (key, version) goes: keys are each institution's.
 * Console accounts from before keep no institution: they were administrators of everything, now operators.
 */
export async function adoptLegacyRecords(logger: Logger): Promise<void> {
  // Platforms from before registered the installation's JWKS (/lti/jwks): they keep signing with its keys.
  await LtiPlatform.updateMany(
    { toolKeyScope: { $exists: false } },
    { $set: { toolKeyScope: INSTALLATION_KEYS } },
  );
  await LtiToolKey.updateMany({ scope: { $exists: false } }, { $set: { scope: INSTALLATION_KEYS } });

  const orphans = await Issuer.find(
    { institutionId: { $exists: false } },
    { _id: 1, profile: 1, isDefault: 1 },
  ).lean();
  for (const issuer of orphans) {
    const name = (issuer.profile as { legalName?: { en?: string } }).legalName?.en ?? String(issuer._id);
    await Institution.updateOne({ _id: issuer._id }, { $setOnInsert: { name } }, { upsert: true });
    await Issuer.updateOne(
      { _id: issuer._id, institutionId: { $exists: false } },
      { $set: { institutionId: issuer._id } },
    );
    logger.info({ component: 'institutions', institutionId: issuer._id }, 'issuer adopted as an institution');
  }

  const missing = { institutionId: { $exists: false } };
  const legacy = await Promise.all([
    LtiPlatform.exists(missing),
    Template.exists(missing),
    CourseBinding.exists(missing),
  ]);
  if (legacy.some(Boolean)) {
    const root = await Issuer.findOne({ isDefault: true }, { institutionId: 1 }).lean();
    const all = await Institution.find({}, { _id: 1 }).limit(2).lean();
    const owner = root?.institutionId ?? (all.length === 1 ? all[0]!._id : undefined);
    if (!owner) {
      logger.warn(
        { component: 'institutions' },
        'records without an institution and no single institution to give them to: create one (credbridge institution create --root-did) and restart',
      );
    } else {
      for (const model of [LtiPlatform, Template, CourseBinding] as const) {
        const res = await (model as typeof LtiPlatform).updateMany(missing, {
          $set: { institutionId: owner },
        });
        if (res.modifiedCount)
          logger.info(
            { component: 'institutions', collection: model.collection.name, count: res.modifiedCount },
            `records adopted by institution ${owner}`,
          );
      }
    }
  }
  // The session collections of earlier versions: nothing reads them any more, and nothing would expire them.
  for (const name of ['lti_sessions', 'admin_sessions'])
    await mongoose.connection.db?.dropCollection(name).catch(() => undefined);
  await Template.collection.dropIndex('key_1_version_1').catch(() => undefined);
}
