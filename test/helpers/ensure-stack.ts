import { spawnSync } from 'node:child_process';

/**
 * vitest globalSetup of the integration project: makes sure the local stack is up, so
 * `npm test` works on a fresh checkout. `stack:up` is idempotent (about a second when
 * everything already runs) and leaves the stack running afterwards. Skipped when
 * FLEETHOOK_KAFKA_BROKERS points the tests at other infrastructure.
 */
export default function ensureStack(): void {
  if (process.env.FLEETHOOK_KAFKA_BROKERS !== undefined) return;
  const result = spawnSync('node_modules/.bin/tsx', ['stack/cli.ts', 'up'], { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`npm run stack:up failed (exit ${result.status}); see .stack/logs/ — the integration tests need it`);
  }
}
