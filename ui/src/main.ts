import { createApp } from 'vue';
import App from './App.vue';
import { loadUiConfig } from './config/ui-config.js';
import { createAppRouter } from './router/index.js';
import { applyTheme, loadTheme } from './theme.js';
import './styles/main.css';

applyTheme(loadTheme(window.localStorage));
// The config decides the topic prefix and the MQTT path, so it is read before the app mounts.
const { config, warnings } = await loadUiConfig();
performance.mark('sitrep:config-loaded');
for (const warning of warnings) console.warn(`sitrep: ${warning}`);
createApp(App, { config }).use(createAppRouter()).mount('#app');
