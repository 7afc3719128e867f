export { startHomeAssistant, type HomeAssistant, type HomeAssistantOptions } from './homeassistant.js';
export { buildDiscovery, buildComponents, type DiscoveryPayload, type Component, type Platform } from './discovery.js';
