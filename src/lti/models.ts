import { Schema, model } from 'mongoose';
import { registerExpiring } from '../db/expiry.js';

/**
 * LTI data. Every record below a platform carries its platformId (and deployment / course), and every lookup
 * filters on them, so one LMS, deployment or course never sees another's records.
 */

const platformSchema = new Schema(
  {
    /** The institution the platform joined through (a registration link, or its administrator's form). */
    institutionId: { type: String, required: true, index: true },
    issuer: { type: String, required: true },
    clientId: { type: String, required: true },
    name: { type: String, default: '' },
    productFamily: { type: String, default: '' },
    authLoginUrl: { type: String, required: true },
    tokenUrl: { type: String, required: true },
    /** `aud` of the client assertion; the token endpoint unless the platform names an authorization server. */
    tokenAudience: { type: String, default: '' },
    jwksUrl: { type: String, required: true },
    deploymentIds: { type: [String], default: [] },
    status: { type: String, required: true, enum: ['pending', 'active', 'disabled'], default: 'active' },
    registeredBy: { type: String, required: true, enum: ['dynamic', 'manual'] },
    /** Scopes granted at registration (dynamic) or declared by the admin (manual). */
    scopes: { type: [String], default: [] },
    /**
     * Which tool keys sign for this platform (client assertions, deep-linking responses): its institution's
     * (the JWKS it registered is /lti/jwks/<institution>), or `installation` for platforms from before.
     */
    toolKeyScope: { type: String, required: true },
    /**
     * Origins of the AGS and NRPS endpoints named in the platform's signed launches (Canvas serves them from
     * the school's host, not the issuer's). With the origins of the registered endpoints, the only places the
     * platform's access tokens are ever sent.
     */
    serviceOrigins: { type: [String], default: [] },
  },
  { timestamps: true, versionKey: false, collection: 'lti_platforms' },
);
platformSchema.index({ issuer: 1, clientId: 1 }, { unique: true });
export const LtiPlatform = model('LtiPlatform', platformSchema);
export type PlatformDoc = InstanceType<typeof LtiPlatform>;

const toolKeySchema = new Schema(
  {
    kid: { type: String, required: true, unique: true },
    /**
     * Whose key: an institution's id (the platforms of that institution sign with it and registered its JWKS,
     * /lti/jwks/<institution>), or `installation` (platforms registered before institutions, /lti/jwks).
     * A platform's LMS trusts only its own scope's keys, so one institution can never obtain another's tokens.
     */
    scope: { type: String, required: true, default: 'installation' },
    publicJwk: { type: Schema.Types.Mixed, required: true },
    /** PKCS#8 PEM, AES-256-GCM under KEY_ENCRYPTION_KEY (src/security/encryption.ts), bound to the kid. */
    privateKeyEncrypted: { type: String, required: true },
    /** active: signs; previous: still published so platforms can verify what it signed; retired: gone. */
    status: { type: String, required: true, enum: ['active', 'previous', 'retired'] },
    rotatedAt: { type: Date },
  },
  { timestamps: true, versionKey: false, collection: 'lti_tool_keys' },
);
toolKeySchema.index({ scope: 1, status: 1, createdAt: -1 });
export const LtiToolKey = model('LtiToolKey', toolKeySchema);

/** One OIDC login in flight: the state and nonce the tool issued, consumed by the launch that follows. */
const loginStateSchema = new Schema(
  {
    state: { type: String, required: true, unique: true },
    nonce: { type: String, required: true },
    platformId: { type: Schema.Types.ObjectId, required: true },
    targetLinkUri: { type: String, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'lti_login_states' },
);
export const LtiLoginState = model('LtiLoginState', loginStateSchema);
registerExpiring(LtiLoginState.modelName);

/** A course (LTI context) as seen through one platform and deployment, with its service endpoints. */
const courseSchema = new Schema(
  {
    platformId: { type: Schema.Types.ObjectId, required: true },
    deploymentId: { type: String, required: true },
    contextId: { type: String, required: true },
    title: { type: String, default: '' },
    label: { type: String, default: '' },
    lineItemsUrl: { type: String, default: '' },
    agsScopes: { type: [String], default: [] },
    membershipsUrl: { type: String, default: '' },
  },
  { timestamps: true, versionKey: false, collection: 'lti_courses' },
);
courseSchema.index({ platformId: 1, deploymentId: 1, contextId: 1 }, { unique: true });
export const LtiCourse = model('LtiCourse', courseSchema);

const resourceLinkSchema = new Schema(
  {
    platformId: { type: Schema.Types.ObjectId, required: true },
    deploymentId: { type: String, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    resourceLinkId: { type: String, required: true },
    title: { type: String, default: '' },
    lineItemUrl: { type: String, default: '' },
    /** Set when the link was placed through deep linking with a credential template. */
    templateId: { type: String, default: '' },
  },
  { timestamps: true, versionKey: false, collection: 'lti_resource_links' },
);
resourceLinkSchema.index({ platformId: 1, deploymentId: 1, resourceLinkId: 1 }, { unique: true });
export const LtiResourceLink = model('LtiResourceLink', resourceLinkSchema);

/**
 * A registration link an institution administrator made: an unguessable, single-use, expiring token in the
 * URL (only its SHA-256 is stored) that lets one LMS register itself with that institution. Claimed for the
 * length of one registration attempt, so a failed attempt can be retried with the same link.
 */
const registrationLinkSchema = new Schema(
  {
    tokenHash: { type: String, required: true, unique: true },
    institutionId: { type: String, required: true, index: true },
    label: { type: String, default: '' },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
    expiresAt: { type: Date, required: true, index: true },
    claimedAt: { type: Date },
    usedAt: { type: Date },
    /** The platform the link registered (or updated). */
    platformId: { type: Schema.Types.ObjectId },
  },
  { versionKey: false, collection: 'lti_registration_links' },
);
export const LtiRegistrationLink = model('LtiRegistrationLink', registrationLinkSchema);
registerExpiring(LtiRegistrationLink.modelName);
