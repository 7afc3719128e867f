import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { inlineEarlyStart } from './build/inline-early-start.js';
import { mqttMicrotaskTicks } from './build/mqtt-ticks.js';

// In dev, the hub (default port 8080) serves /ui-config.json and MQTT over WebSocket at /mqtt;
// proxying both keeps the browser on one origin, as in production.
const hub = process.env.SITREP_HUB ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [vue(), mqttMicrotaskTicks(), inlineEarlyStart()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // mqtt.js's prebuilt browser bundle (picked through its `browser` export condition) carries its
    // own Buffer and stream shims and is ~330 kB on its own; the app is well under this limit.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/ui-config.json': hub,
      '/mqtt': { target: hub, ws: true },
    },
  },
});
