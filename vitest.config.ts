import { defineConfig } from 'vitest/config';

// One run over every package; each package is a project so its tests run with its own settings.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'schemas', root: './schemas', include: ['test/**/*.test.ts'] } },
      { test: { name: 'broker', root: './broker', include: ['test/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'agent', root: './agent', include: ['test/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'projector', root: './projector', include: ['test/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'simulator', root: './simulator', include: ['test/**/*.test.ts'], testTimeout: 30_000 } },
      // Threads, child processes and real brokers: several seconds each on a loaded 2-core machine.
      { test: { name: 'cli', root: './cli', include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 } },
      './ui/vitest.config.ts',
      // Tests against a real systemd in a container: slow to boot, so generous timeouts.
      { test: { name: 'deploy', root: './deploy', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 300_000 } },
      { test: { name: 'e2e', root: './e2e', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
    ],
  },
});
