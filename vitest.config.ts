import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no infrastructure, runs in parallel) and
// `integration` (real Kafka, registry, Redis, HTTP; files run one at a time because
// they share one broker on a 2-core machine).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/cluster/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          globalSetup: ['test/helpers/ensure-stack.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
