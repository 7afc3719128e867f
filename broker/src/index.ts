export { startBroker, type BrokerOptions, type RunningBroker } from './broker.js';
export { IdentityStore, IdentityError } from './auth/identities.js';
export { canPublish, canSubscribe, type Decision } from './auth/acl.js';
export { generatePassword, hashPassword, verifyPassword } from './auth/password.js';
export { MQTT_WS_PATH } from './transports/http.js';
export {
  DEFAULT_MAX_QUEUED_PER_CLIENT,
  SqlitePersistence,
  type BrokerPersistence,
  type OverflowStats,
  type PersistenceOptions,
} from './persistence/index.js';
