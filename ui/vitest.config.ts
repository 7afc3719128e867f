import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { name: 'ui', root: import.meta.dirname, include: ['test/**/*.test.ts'], passWithNoTests: true } });
