import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/helpers/slow-first-sequencer.js';

/**
 * Integration files that run alone, after the others: each 3-node cluster file starts the
 * cluster on its fixed ports (three more JVMs leave no room for anything else), and these
 * depend on wall-clock time that a second file's load on 2 cores distorts: reminders
 * within 1-1.5 s of their slot, a latency within 400 ms of a baseline, no partition
 * standing still for 10 s while 1,000 malformed records are dead-lettered, retry
 * schedules compressed 10,000-fold (a week in seconds) counted retry by retry, and an
 * 8,000-item backlog drained within the wait. Beside another file they failed on a busy
 * machine; alone they did not.
 */
const aloneFiles = [
  'test/cluster/**/*.test.ts',
  'test/integration/alerter-full-pipeline.test.ts',
  'test/integration/alerter-lifecycle.test.ts',
  'test/integration/dispatcher-crash-while-parked.test.ts',
  'test/integration/dispatcher-hanging-endpoint.test.ts',
  'test/integration/malformed-telemetry.test.ts',
  'test/integration/parking-edge-cases.test.ts',
  'test/integration/parking-policies.test.ts',
  'test/integration/parking-recovery.test.ts',
  // A whole pipeline, three services and a 1 s scrape in one process: beside another file, its first
  // parking episode once took over 30 s to show in CI.
  'test/integration/prometheus-dashboards.test.ts',
  // Chromium beside another file's brokers and dispatchers on 2 cores: one browser at a time.
  'test/browser/**/*.test.ts',
];

const realStack = {
  environment: 'node' as const,
  globalSetup: ['test/helpers/ensure-stack.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

// Projects run one after another (sequence.groupOrder):
// - `unit`: pure logic, no infrastructure.
// - `integration`: real Kafka, registry, Redis, HTTP, SMTP; two files at a time. Most of
//   their time is waiting (retry schedules, rebalances, session timeouts), and every file
//   owns its topics, group ids, Redis key prefixes, ports and stack homes (uniqueName,
//   port 0), so two of them do not see each other; more would starve the broker on 2
//   cores. The slowest files start first (test/helpers/slow-first-sequencer.ts).
// - `integration-alone`: `aloneFiles`, one at a time.
// `--project 'integration*'` selects both integration projects.
export default defineConfig({
  test: {
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // vitest's default on 2 cores is one worker; these are CPU-bound and share nothing.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: aloneFiles,
          ...realStack,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'integration-alone',
          include: aloneFiles,
          ...realStack,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
