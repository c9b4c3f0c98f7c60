import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs' consumer fetch loop as patched by patches/kafkajs+2.2.4.patch, driven by a fake
// runner (a pure unit: no Kafka). Upstream, a consumer stopped while its broker set changed
// created new fetchers after the stop; their fetch returned [] at once and the loop spun on
// resolved promises at 100 % CPU, starving the event loop (a dispatcher never exited).
const require = createRequire(import.meta.url);
interface FetchManager { start(): Promise<void>; stop(): Promise<void> }
const createFetchManager = require('kafkajs/src/consumer/fetchManager.js') as (o: object) => FetchManager;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
interface Logger { debug(): void; info(): void; warn(): void; error(): void; namespace(): Logger }
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => logger };

describe('kafkajs fetch manager (patched)', () => {
  it('creates no fetcher after stop() when the broker set changes at the same time', async () => {
    let nodeIds = [1, 2];
    let running = true;
    let fetchesAfterStop = 0;
    const fm = createFetchManager({
      logger, concurrency: 1, handler: async () => undefined,
      getNodeIds: () => nodeIds,
      // Like kafkajs' runner: a stopped consumer's fetch answers [] at once.
      fetch: async (nodeId: number) => {
        if (!running) {
          // Upstream spun here without end; bail out so the test can say so instead of hanging.
          if (++fetchesAfterStop > 10_000) throw new Error('the fetch loop spins after stop()');
          return [];
        }
        // Broker 2 answers slowly: the rebalance below waits for its fetcher to end.
        await sleep(nodeId === 2 ? 100 : 20);
        return [];
      },
    });
    const started = fm.start();
    await sleep(30);
    nodeIds = [1, 3]; // a broker left and another came back: broker 1's next fetch throws KafkaJSFetcherRebalanceError
    await sleep(20);
    running = false; // the runner stops (SIGTERM) while the fetch manager waits for broker 2's fetcher to end
    await fm.stop();
    await expect(started).resolves.toBeUndefined();
    expect(fetchesAfterStop).toBeLessThan(100);
  });
});
