import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';
// The vue plugin lets component tests import .vue files (rendered with Vue's server renderer).
export default defineConfig({ plugins: [vue()], test: { name: 'ui', root: import.meta.dirname, include: ['test/**/*.test.ts'], passWithNoTests: true } });
