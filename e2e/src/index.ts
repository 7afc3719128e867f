export * from './hub-process.js';
export * from './browser.js';
export * from './processes.js';
