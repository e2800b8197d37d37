// Importing this module registers every model, so ensureIndexes() sees them all.
export * from './audit-event.js';
export * from '../../lti/models.js';
export * from '../../credentials/credential-model.js';
export * from '../../credentials/status-list-model.js';
export * from '../../institutions/institution-model.js';
export * from '../../issuers/issuer-model.js';
export * from '../../templates/template-model.js';
export * from '../../grades/lms-connection-model.js';
export * from '../../grades/canvas-ids.js';
export * from '../../accounts/accounts.js';
export * from '../../accounts/login-lockout.js';
export * from '../../seals/seal-model.js';
export * from '../../wallets/wallet-models.js';
export * from '../../badges/printable.js';
