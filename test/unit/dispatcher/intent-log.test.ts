import { describe, expect, it } from 'vitest';
import type { PendingItem } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { DeliveryGeneration } from '../../../services/dispatcher/live/delivery-generation.js';
import type { FetchedMessage, PartitionControl } from '../../../services/dispatcher/live/delivery-generation.js';
import { IntentLog } from '../../../services/dispatcher/intents/intent-log.js';
import { decodeRequestIntent, encodeRequestIntent } from '../../../services/dispatcher/intents/request-intent.js';
import { createLogger } from '../../../services/shared/logger.js';

const sub = 'sub_a';
const logger = createLogger('test', { level: 'error', write: () => undefined });

const intent = (at: number, offsets: number[], key = sub): FetchedMessage => ({ offset: String(at), key: Buffer.from(key), value: encodeRequestIntent({ offsets }) });
const raw = (at: number, value: string): FetchedMessage => ({ offset: String(at), key: Buffer.from(sub), value: Buffer.from(value) });
const batch = (messages: FetchedMessage[], topic = 'i'): { topic: string; partition: number; highWatermark: string; messages: FetchedMessage[] } => ({ topic, partition: 0, highWatermark: '100', messages });
const pending = (offset: number): PendingItem => ({
  partition: 0, offset, item: { subscriptionId: sub, kind: 'gps', vehicleId: 'veh_1', seq: offset, recordTimeMs: 1, origin: { topic: 't', partition: 0, offset: String(offset) }, dataJson: '{}' },
});

function control(): { control: PartitionControl; log: string[] } {
  const log: string[] = [];
  return { log, control: { pause: (t, p) => log.push(`pause ${t}/${p.join(',')}`), resume: (t, p) => log.push(`resume ${t}/${p.join(',')}`), seek: (t, p, o) => log.push(`seek ${t}/${p}@${o}`) } };
}

/** A log whose partition 0 holds `high` intents from `committedIntents`, with deliveries committed at `committedDeliveries`. */
async function scanning(high: number, committedDeliveries: number, committedIntents = -1): Promise<{ log: IntentLog; calls: string[] }> {
  const c = control();
  const gen = new DeliveryGeneration(1, [0], 10, new Map(), logger);
  const log = new IntentLog({ deliveriesTopic: 'd', intentsTopic: 'i', logger }, gen, c.control);
  await log.startScan({
    ends: async () => [{ partition: 0, low: '0', high: String(high) }],
    committed: async () => new Map([['d', new Map([[0, BigInt(committedDeliveries)]])], ['i', new Map([[0, BigInt(committedIntents)]])]]),
  }, async () => undefined);
  return { log, calls: c.log };
}

describe('request intents (encoding)', () => {
  it('round-trips offsets as deltas', () => {
    const offsets = [7, 8, 9, 40, 1_000_000];
    expect(decodeRequestIntent(encodeRequestIntent({ offsets }))).toEqual({ kind: 'intent', intent: { offsets } });
    expect(encodeRequestIntent({ offsets: Array.from({ length: 500 }, (_, i) => 1_000_000 + i) }).length).toBeLessThan(2_100);
  });

  it('refuses what was never written: not JSON, other versions, empty, zero or negative deltas, fractions', () => {
    for (const bad of ['', 'x', 'null', '[]', '{"v":2,"o":[1]}', '{"v":1}', '{"v":1,"o":[]}', '{"v":1,"o":[3,0]}', '{"v":1,"o":[-1]}', '{"v":1,"o":[1.5]}', '{"v":1,"o":["1"]}']) {
      expect(decodeRequestIntent(Buffer.from(bad)).kind, bad).toBe('invalid');
    }
    expect(decodeRequestIntent(null).kind).toBe('invalid');
  });
});

describe('IntentLog', () => {
  it('holds deliveries back until the scan is done, then gives back an earlier owner\'s request whole, in offset order', async () => {
    const { log, calls } = await scanning(3, 10);
    expect(log.holdBack(batch([{ offset: '10', key: null, value: null }], 'd'))).toBe(true);
    expect(calls).toEqual(['pause d/0', 'seek d/0@10']);
    // Offset 0: finished before the commit (its lowest item is below it); 1: malformed; 2: open.
    log.handleBatch(batch([intent(0, [5, 12]), raw(1, '{"v":1,"o":[3,0]}'), intent(2, [10, 11, 13])]), () => true);
    expect(calls.at(-1)).toBe('resume d/0');
    expect(log.holdBack(batch([], 'd'))).toBe(false);
    expect(log.holds(0, 12)).toBe(false);
    expect([10, 11, 13].every((o) => log.holds(0, o))).toBe(true);
    expect([10, 11, 13].some((o) => log.finished(0, o))).toBe(false);
    expect(log.decide(0, 13, pending(13))).toBeNull();
    expect(log.decide(0, 10, pending(10))).toBeNull();
    const whole = log.decide(0, 11, pending(11));
    expect(whole?.items.map((p) => p.offset)).toEqual([10, 11, 13]);
    expect(whole?.subscriptionId).toBe(sub);
    expect(log.openIntents).toBe(0);
  });

  it('an intent whose items were all skipped (delivered, parked) gives nothing to send; a repeated write of one request is one intent', async () => {
    const { log } = await scanning(2, 0);
    log.handleBatch(batch([intent(0, [1, 2]), intent(1, [1, 2])]), () => true);
    expect(log.openIntents).toBe(1);
    expect(log.decide(0, 1, null)).toBeNull();
    expect(log.decide(0, 2, null)).toBeNull();
    expect(log.openIntents).toBe(0);
  });

  it('a finished request\'s items at or above the deliveries commit are skipped when read again, with Redis\'s marks gone (chaos seed 20: they went again under another webhook-id)', async () => {
    const { log } = await scanning(2, 10);
    // Intent 0 straddles the commit: its lowest item (5) is finished, so the whole request is. Intent 1 is open.
    log.handleBatch(batch([intent(0, [5, 12, 14]), intent(1, [11, 13])]), () => true);
    expect(log.holds(0, 12)).toBe(false);
    expect(log.finished(0, 12)).toBe(true);
    expect(log.finished(0, 12)).toBe(false);
    expect(log.finished(0, 14)).toBe(true);
    expect(log.finished(0, 5)).toBe(false);
    expect(log.finished(0, 11)).toBe(false);
    expect(log.holds(0, 11)).toBe(true);
  });

  it('intents read after the scan (this owner\'s own) are not re-sent; the commit floor is the first intent with an item at or above the deliveries commit', async () => {
    const { log } = await scanning(0, 0);
    log.handleBatch(batch([intent(0, [0, 1]), intent(1, [4, 5]), intent(2, [2, 3]), intent(3, [6])]), () => true);
    expect(log.holds(0, 4)).toBe(false);
    expect(log.commitOffsets(() => 2)).toEqual([{ partition: 0, offset: 1n }]);
    log.committedAt([{ partition: 0, offset: 1n }]);
    // Deliveries commit at 6: intents 1 and 2 are finished; 3 is not.
    expect(log.commitOffsets(() => 6)).toEqual([{ partition: 0, offset: 3n }]);
    log.committedAt([{ partition: 0, offset: 3n }]);
    expect(log.commitOffsets(() => 7)).toEqual([{ partition: 0, offset: 4n }]);
  });

  it('keeps an intent in the commit floor while any of its items is at or above the deliveries commit, so a new owner reads it again', async () => {
    const { log } = await scanning(0, 0);
    log.handleBatch(batch([intent(0, [1, 9]), intent(1, [2, 3])]), () => true);
    expect(log.commitOffsets(() => 4)).toEqual([{ partition: 0, offset: 0n }]);
    log.committedAt([{ partition: 0, offset: 0n }]);
    expect(log.commitOffsets(() => 10)).toEqual([{ partition: 0, offset: 2n }]);
  });

  it('an intents batch fetched before the scan knows the deliveries commit is read again after it: a finished request is never reopened (chaos seed 14: its items held a partition forever)', async () => {
    const c = control();
    const gen = new DeliveryGeneration(1, [0], 10, new Map(), logger);
    const log = new IntentLog({ deliveriesTopic: 'd', intentsTopic: 'i', logger }, gen, c.control);
    // Offsets 5..6 straddle the deliveries commit (6): the request had finished.
    log.handleBatch(batch([intent(0, [5, 6]), intent(1, [7])]), () => true);
    expect(log.openIntents).toBe(0);
    expect(c.log).toEqual(['pause i/0']);
    await log.startScan({
      ends: async () => [{ partition: 0, low: '0', high: '2' }],
      committed: async () => new Map([['d', new Map([[0, 6n]])], ['i', new Map([[0, -1n]])]]),
    }, async () => undefined);
    expect(c.log).toEqual(['pause i/0', 'seek i/0@0', 'resume i/0']);
    log.handleBatch(batch([intent(0, [5, 6]), intent(1, [7])]), () => true);
    expect(log.holds(0, 6)).toBe(false);
    expect(log.holds(0, 7)).toBe(true);
  });

  it('a request whose other items this generation never reads (below where it started) is not waited for', async () => {
    const { log } = await scanning(1, 0);
    log.handleBatch(batch([intent(0, [3, 9])]), () => true);
    expect(log.decide(0, 9, pending(9), 5)?.items.map((p) => p.offset)).toEqual([9]);
  });

  it('commits nothing while a partition is scanned, and resumes its scan from the committed intents offset', async () => {
    const { log } = await scanning(5, 0, 3);
    expect(log.commitOffsets(() => 0)).toEqual([]);
    log.handleBatch(batch([intent(3, [0]), intent(4, [1])]), () => true);
    expect(log.openIntents).toBe(2);
    expect(log.commitOffsets(() => 0)).toEqual([{ partition: 0, offset: 3n }]);
  });
});
