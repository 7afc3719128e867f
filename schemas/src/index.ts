/**
 * @sitrep/schemas: the contract. Browser-safe: no node:* modules and no zod here; config file
 * schemas live behind the `@sitrep/schemas/config` subpath.
 */
export * from './ids.js';
export * from './topics.js';
export * from './codec.js';
export * from './codecs.js';
export * from './payloads/common.js';
export * from './payloads/state.js';
export * from './payloads/events.js';
export * from './payloads/commands.js';
export * from './payloads/logs.js';
export * from './payloads/hub.js';
export * from './payloads/snapshot.js';
export * from './catalog.js';
export * from './log.js';
export * from './homeassistant.js';
