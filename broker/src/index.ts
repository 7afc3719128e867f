export { startBroker, type BrokerOptions, type RunningBroker } from './broker.js';
export { IdentityStore, IdentityError } from './auth/identities.js';
export { aclRules, canPublish, canReceive, canSubscribe, publishKinds, type AclRule, type Decision } from './auth/acl.js';
export { mosquittoAclFile, mosquittoHash, mosquittoPasswordFile, MOSQUITTO_DEFAULT_ITERATIONS } from './auth/mosquitto.js';
export { generatePassword, hashPassword, verifyPassword } from './auth/password.js';
export { DEFAULT_LIMITS, type BrokerLimits } from './limits/config.js';
export { MQTT_WS_PATH } from './transports/http.js';
export {
  DEFAULT_MAX_QUEUED_PER_CLIENT,
  SqlitePersistence,
  type BrokerPersistence,
  type OverflowStats,
  type PersistenceOptions,
} from './persistence/index.js';
export { isLoopback } from './transports/listeners.js';
export type { TlsFiles } from './transports/tcp.js';
