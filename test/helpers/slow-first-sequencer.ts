import path from 'node:path';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/**
 * The integration files that take longest (a minute or more of real-time scenarios), in
 * that order. With files on two workers, the run ends when the last file does: starting
 * these first keeps a long one from starting last while the other worker sits idle. A
 * fresh clone has no vitest cache of past durations, so without this list the order
 * would be by file size.
 */
export const slowFilesFirst: readonly string[] = [
  'test/integration/parking-durability.test.ts',
  'test/integration/stack-redis-from-jar.test.ts',
  'test/integration/dispatcher-failover.test.ts',
  'test/integration/admin-verification-events.test.ts',
  'test/integration/catalogue-consistency.test.ts',
  'test/integration/prometheus-dashboards.test.ts',
  'test/integration/service-start-topic-wait.test.ts',
  'test/integration/admin-delivery-status.test.ts',
  // Run alone (vitest.config.ts), longest first there too.
  'test/integration/dispatcher-crash-while-parked.test.ts',
  'test/integration/malformed-telemetry.test.ts',
];

/** vitest's order (group order, then past durations or size), with `slowFilesFirst` moved to the front. */
export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const i = slowFilesFirst.indexOf(path.relative(this.ctx.config.root, spec.moduleId).split(path.sep).join('/'));
      return i === -1 ? slowFilesFirst.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order; projects keep their group order.
    return sorted.sort((a, b) => a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder || rank(a) - rank(b));
  }
}
