import { defineConfig } from 'vitest/config';

// Three projects: fast pure unit specs, integration specs against a real nats-server,
// and end-to-end specs that spawn the real services as separate processes.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['packages/**/*.unit.spec.ts', 'services/**/*.unit.spec.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['packages/**/*.int.spec.ts', 'services/**/*.int.spec.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
