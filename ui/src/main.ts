import { createApp } from 'vue';
import App from './App.vue';
import { earlyStart } from './boot/early-start.js';
import { loadUiConfig, readUiConfig } from './config/ui-config.js';
import { createAppRouter } from './router/index.js';
import { applyTheme, loadTheme } from './theme.js';
import './styles/main.css';

applyTheme(loadTheme(window.localStorage));
// The config decides the topic prefix and the MQTT path, so it is read before the app mounts;
// index.html's early start has asked for it already (and opened the socket for a saved login).
const early = earlyStart();
const { config, warnings } = early === undefined ? await loadUiConfig() : readUiConfig(await early.config);
performance.mark('sitrep:config-loaded');
for (const warning of warnings) console.warn(`sitrep: ${warning}`);
createApp(App, { config }).use(createAppRouter()).mount('#app');
