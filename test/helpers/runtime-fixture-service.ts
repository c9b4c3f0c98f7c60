import { EnvReader } from '../../services/shared/env-reader.js';
import { readLogLevel } from '../../services/shared/runtime/common-config.js';
import { runService } from '../../services/shared/runtime/run-service.js';

/**
 * A service run by the real `runService`, for service-runtime-signals.test.ts: its close
 * takes `FLEETHOOK_ADMIN_FIXTURE_CLOSE_MS` (or never ends when unset), so the test can see
 * the deadline and the second signal on a real process; `FLEETHOOK_ADMIN_FIXTURE_FAIL`
 * (`throw` or `reject`) makes a programming error escape after the start.
 */
runService({
  name: 'fixture',
  loadConfig: (env) => {
    const r = new EnvReader(env, 'FLEETHOOK_');
    const config = {
      logLevel: readLogLevel(r, 'ADMIN'),
      closeMs: r.optionalString('ADMIN_FIXTURE_CLOSE_MS') === undefined ? null : r.int('ADMIN_FIXTURE_CLOSE_MS', 0, { min: 0 }),
      deadlineMs: r.int('ADMIN_FIXTURE_DEADLINE_MS', 30_000, { min: 1 }),
      /** A programming error after start: thrown from a timer, or a rejected promise nobody handles. */
      fail: r.optionalString('ADMIN_FIXTURE_FAIL') ?? null,
    };
    r.finish();
    return config;
  },
  shutdownDeadlineMs: (config) => config.deadlineMs,
  start: async ({ config, logger }) => {
    logger.info('fixture started');
    // Stands for the service's listeners and consumers, which keep a real service's process alive.
    const running = setInterval(() => undefined, 60_000);
    if (config.fail === 'throw') setTimeout(() => { throw new Error('fixture bug in a timer'); }, 100);
    if (config.fail === 'reject') setTimeout(() => void Promise.reject(new Error('fixture rejection nobody awaited')), 100);
    return {
      close: () => new Promise<void>((resolve) => {
        if (config.closeMs === null) return; // never closes
        setTimeout(() => {
          clearInterval(running);
          resolve();
        }, config.closeMs);
      }),
      readyFields: { pid: process.pid },
    };
  },
});
