// Importing this module registers every model, so ensureIndexes() sees them all.
export * from './audit-event.js';
export * from '../../lti/models.js';
