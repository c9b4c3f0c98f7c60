import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * A vitest reporter for CI logs: per test file, the wall time from its start to its end,
 * and how much of it was not inside a test (imports, beforeAll/afterAll: what the per-test
 * durations of the other reporters leave out); the slowest files first. With
 * FLEETHOOK_TEST_TIMINGS=<file> it also writes every file's figures there as JSON, and with
 * FLEETHOOK_TEST_COUNTS=<file> the run's counts (`{ passed, failed, skipped }`; a file that
 * failed outside its tests, e.g. on import, counts as one failure) for `.ci/run`'s last line.
 */
export default class FileDurationReporter implements Reporter {
  private readonly started = new Map<string, number>();
  private readonly rows: { file: string; wallMs: number; outsideTestsMs: number; startMs: number }[] = [];
  private runStartedAt = Date.now();

  onTestRunStart(): void {
    this.runStartedAt = Date.now();
  }

  onTestModuleStart(module: TestModule): void {
    this.started.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    const startedAt = this.started.get(module.moduleId) ?? this.runStartedAt;
    const wallMs = Date.now() - startedAt;
    let testsMs = 0;
    for (const test of module.children.allTests()) testsMs += test.diagnostic()?.duration ?? 0;
    this.rows.push({ file: path.relative(process.cwd(), module.moduleId), wallMs, outsideTestsMs: Math.max(0, wallMs - testsMs), startMs: startedAt - this.runStartedAt });
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    this.writeCounts(modules);
    const rows = [...this.rows].sort((a, b) => b.wallMs - a.wallMs);
    const totalMs = Date.now() - this.runStartedAt;
    const s = (ms: number): string => (ms / 1_000).toFixed(1).padStart(7);
    const lines = rows.slice(0, 15).map((r) => `${s(r.wallMs)} s ${s(r.outsideTestsMs)} s  ${r.file}`);
    process.stdout.write(`\nslowest test files (wall; of it outside tests: imports, beforeAll/afterAll):\n${lines.join('\n')}\n${s(totalMs)} s in all, ${rows.length} files\n`);
    const out = process.env.FLEETHOOK_TEST_TIMINGS;
    if (out !== undefined && out !== '') writeFileSync(out, JSON.stringify({ totalMs, files: rows }, null, 2));
  }

  private writeCounts(modules: ReadonlyArray<TestModule>): void {
    const out = process.env.FLEETHOOK_TEST_COUNTS;
    if (out === undefined || out === '') return;
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of modules) {
      if (module.state() === 'failed' && module.errors().length > 0) counts.failed += 1;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
    }
    writeFileSync(out, JSON.stringify(counts));
  }
}
