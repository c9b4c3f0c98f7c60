import { describe, expect, it } from 'vitest';
import { type ChildFailure, isChildFailure, ProcessGroup } from '../../../services/demo/process-group.js';

describe('isChildFailure', () => {
  it.each([
    // code, finishes, stopping, failure?
    [1, false, false, true],
    [0, false, false, true], // a service must not end on its own, even cleanly
    [null, false, false, true], // killed by a signal
    [0, true, false, false], // the simulator finished
    [2, true, false, true],
    [1, false, true, false], // the demo is stopping: every exit is expected
    [null, true, true, false],
  ])('exit code %s, finishes %s, stopping %s → %s', (code, finishes, stopping, failure) => {
    expect(isChildFailure({ code, finishes, stopping })).toBe(failure);
  });
});

describe('ProcessGroup', () => {
  const node = process.execPath;

  it('reports a child that dies with its last lines, promptly', async () => {
    const printed: string[] = [];
    const group = new ProcessGroup((line) => printed.push(line));
    const failure = new Promise<ChildFailure>((resolve) => group.onFailure(resolve));
    group.start('admin', node, ['-e', "console.log('starting'); console.error('admin-api failed to start: cannot read topic webhook.subscriptions'); process.exit(1)"]);
    const reported = await failure;
    expect(reported.name).toBe('admin');
    expect(reported.how).toBe('code 1');
    expect(reported.lastLines).toContain('admin-api failed to start: cannot read topic webhook.subscriptions');
    expect(printed.some((l) => l.startsWith('[admin]') && l.includes('exited (code 1)'))).toBe(true);
  });

  it('does not report a finishing child that succeeds, nor children stopped by stopAll', async () => {
    const group = new ProcessGroup(() => undefined);
    const failures: ChildFailure[] = [];
    group.onFailure((f) => failures.push(f));
    const sim = group.start('simulator', node, ['-e', 'process.exit(0)'], {}, { finishes: true });
    expect(await group.exited(sim)).toBe(0);
    group.start('dispatcher', node, ['-e', 'setInterval(() => {}, 1000)']);
    await group.stopAll(5_000);
    // Let the exit handlers run.
    await new Promise((r) => setTimeout(r, 100));
    expect(failures).toEqual([]);
  });

  it('reports a command that cannot be started', async () => {
    const group = new ProcessGroup(() => undefined);
    const failure = new Promise<ChildFailure>((resolve) => group.onFailure(resolve));
    group.start('ghost', '/nonexistent/fleethook-no-such-binary', []);
    const reported = await failure;
    expect(reported.name).toBe('ghost');
    expect(reported.lastLines.join('\n')).toContain('ENOENT');
  });
});
