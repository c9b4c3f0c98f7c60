import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeliveryGeneration } from '../../../services/dispatcher/live/delivery-generation.js';
import type { FetchedMessage, PartitionControl } from '../../../services/dispatcher/live/delivery-generation.js';
import { encodeDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { OffsetTracker } from '../../../services/dispatcher/live/offset-tracker.js';
import { ParkedLogReader } from '../../../services/dispatcher/parking/parked-log-reader.js';
import type { DrainSink } from '../../../services/dispatcher/parking/parked-log-reader.js';
import { encodeParkedRecord } from '../../../services/dispatcher/parking/parked-record.js';
import type { ParkedRecord } from '../../../services/dispatcher/parking/parked-record.js';
import { createLogger } from '../../../services/shared/logger.js';
import { SeededRandom } from '../../chaos/seeded-random.js';

/**
 * Two subscriptions parked on one partition (CI's one stall of dispatcher-crash-while-parked:
 * the second to recover never drained what was appended after the first one's recovery),
 * under random interleavings of what the real owner does concurrently: live items appended to
 * the backlog, fetches of at most 12 records, the head retries' `recovered` markers, drain
 * requests finishing out of order with their `progress` markers, drain requests failing (a new
 * episode each, as HeadParking writes it), the owner crashing (a new one scans from the
 * committed floor), and kafkajs' seek semantics (a seek applies at the next fetch; a batch
 * fetched before it is stale). The drain is a stand-in that delivers what it is handed; the
 * reader and the parking book are the real ones. Whatever the order, every backlog item is
 * delivered exactly once and every episode ends. It found two bugs: a re-read asked for after
 * every fetch (a livelock when a backlog's next item was more than a fetch away) and an earlier
 * repark's marker, read again, replacing the later episode.
 */
/** SIM_SEED=n SIM_TRACE=file runs one seed and writes what happened, step by step, to the file. */
const trace = (line: string): void => {
  if (process.env.SIM_TRACE !== undefined) appendFileSync(process.env.SIM_TRACE, `${line}\n`);
};
const logger = createLogger('test', { level: 'error', write: () => undefined });
const subs = ['sub_a', 'sub_b'] as const;
type Sub = (typeof subs)[number];

class Simulation {
  readonly log: FetchedMessage[] = [];
  private readonly keys: string[] = [];
  private pos = 0;
  private seekTo: number | null = null;
  private deliveriesOffset = 1_000;
  gen = new DeliveryGeneration(1, [0], 10, new Map(), logger);
  /** The parked offset the group committed last (the reader's floor), where a new owner's scan starts. */
  private committed = 0n;
  /** Where the current owner's scan started: it must never need to read below it (records there are not in its book). */
  private scanFrom = 0;
  /** Seeks below the scan's start: the commit floor was above an item the rebuilt book still needed. */
  readonly belowFloor: string[] = [];
  readonly handed = new Map<string, number[]>(subs.map((s) => [s, []]));
  /** Delivered items (by a drain request, or as a head whose retry succeeded), per subscription. */
  readonly delivered = new Map<string, number[]>(subs.map((s) => [s, []]));
  /** Items written to the audit topic (a closed episode's backlog and head), per subscription. */
  readonly audited = new Map<string, number[]>(subs.map((s) => [s, []]));
  /** The current episode per subscription; a drain request that fails starts the next. */
  readonly episode = new Map<string, string>(subs.map((s) => [s, `pke_${s}_0`]));
  /** The failed drain request's item per subscription, delivered when its episode's head retry succeeds. */
  private readonly heads = new Map<string, number>();
  /** Handed to the drain and not delivered yet. */
  private readonly inFlight: { sub: string; offset: number }[] = [];
  private readonly trackers = new Map<string, OffsetTracker>();
  reader: ParkedLogReader;

  constructor(private readonly rnd: SeededRandom) {
    this.reader = this.newOwner();
  }

  /** The partition's owner: a generation with its book and reader, and the drain stand-in. */
  private newOwner(): ParkedLogReader {
    const control: PartitionControl = {
      pause: () => undefined,
      resume: () => undefined,
      seek: (_t, _p, offset) => {
        trace(`seek requested ${offset}`);
        if (Number(offset) < this.scanFrom) this.belowFloor.push(`seek to ${offset} below the scan's start ${this.scanFrom}`);
        this.seekTo = Number(offset);
      },
    };
    const sink: DrainSink = {
      openOf: () => this.inFlight.length,
      register: (id, o) => this.tracker(id).register(Number(o)),
      resetQueued: (id) => this.trackers.delete(id),
      add: (_p, id, o) => {
        this.tracker(id).register(Number(o));
        this.handed.get(id)?.push(Number(o));
        trace(`handed ${id} ${o}`);
        this.inFlight.push({ sub: id, offset: Number(o) });
      },
      flush: () => undefined,
      // BacklogDrain.audit: written to the audit topic, then finished (the episode ends once its cursor has reached every item).
      audit: (_p, id, items) => {
        this.audited.get(id)?.push(...items.map((i) => Number(i.parkedOffset)));
        this.finish(id, items.map((i) => Number(i.parkedOffset)));
        this.endIfComplete(id);
      },
      finished: (_p, id, offsets) => this.finish(id, offsets.map(Number)),
      check: (_p, id) => this.endIfComplete(id),
      checkAll: () => { for (const [id, s] of this.book.entries()) if (s.phase !== 'parked') this.endIfComplete(id); },
      startClosing: () => undefined,
    };
    return new ParkedLogReader({ deliveriesTopic: 'd', parkedTopic: 'p', maxOpenItemsPerPartition: 1_000_000, logger }, this.gen, control, sink);
  }

  /** The owner commits the reader's floor (as DeliveryConsumer does every second). */
  commit(): void {
    const offsets = this.reader.commitOffsets();
    for (const o of offsets) this.committed = o.offset;
    if (offsets.length > 0) trace(`commit ${this.committed}`);
    this.reader.committedAt(offsets);
  }

  /**
   * The owner crashes: what it had in memory is gone (requests in flight were not acknowledged:
   * not delivered), and a new owner rebuilds the book by scanning from the committed floor.
   */
  async crash(): Promise<void> {
    trace(`crash: new owner scans from ${this.committed}`);
    this.inFlight.length = 0;
    this.trackers.clear();
    this.seekTo = null;
    this.pos = Number(this.committed);
    this.scanFrom = this.pos;
    this.gen = new DeliveryGeneration(this.gen.id + 1, [0], 10, new Map(), logger);
    this.reader = this.newOwner();
    await this.startScan();
  }

  get book(): ReturnType<DeliveryGeneration['book']> {
    return this.gen.book(0);
  }

  append(sub: string, record: ParkedRecord): number {
    const offset = this.log.length;
    trace(`append ${offset} ${sub} ${record.kind}`);
    this.log.push({ offset: String(offset), key: Buffer.from(sub), ...encodeParkedRecord(record) });
    this.keys.push(sub);
    return offset;
  }

  /** A live item of `sub`, appended to its backlog as the live router does while it is parked (this owner, so the book learns the offset). */
  appendItem(sub: Sub, byThisOwner: boolean): void {
    const d = this.deliveriesOffset++;
    const value = encodeDeliveryItem({ subscriptionId: sub, kind: 'gps', vehicleId: `veh_${d % 3}`, seq: d, recordTimeMs: 1_700_000_000_000, origin: { topic: 't', partition: 0, offset: String(d) } }, '{}');
    const offset = this.append(sub, { kind: 'item', episodeId: this.episodeOf(sub), deliveriesOffset: String(d), value });
    if (byThisOwner) this.book.appended(sub, BigInt(offset), 1);
  }

  async startScan(): Promise<void> {
    const high = String(this.log.length);
    const committed = new Map([['p', new Map([[0, this.committed]])]]);
    await this.reader.startScan({ ends: async () => [{ partition: 0, low: '0', high }], committed: async () => committed }, async () => undefined);
  }

  /** One fetch as kafkajs makes it: a pending seek applies first; the batch goes stale when a seek is made while it is handled. */
  async fetch(): Promise<void> {
    if (this.seekTo !== null) {
      trace(`seek applied: ${this.seekTo}`);
      this.pos = this.seekTo;
      this.seekTo = null;
    }
    if (this.pos >= this.log.length) return;
    // At most 12 records per fetch (kafkajs' 1 MiB per partition, scaled down): a backlog's items may be further apart than one fetch.
    const messages = this.log.slice(this.pos, this.pos + this.rnd.int(1, 12));
    trace(`fetch ${messages[0]?.offset}-${messages.at(-1)?.offset} of ${this.log.length}`);
    await this.reader.handleBatch({ topic: 'p', partition: 0, highWatermark: String(this.log.length), messages }, () => this.seekTo === null);
    for (const sub of subs) {
      const b = this.book.get(sub);
      trace(`  ${sub}: ${b === undefined ? 'none' : `${b.phase} cursor ${b.cursor} queued ${b.queuedThrough} passed ${b.passedThrough} seen ${b.seenThrough} reread ${b.rereadAt}`}`);
    }
    // eachBatchAutoResolve: the batch's last offset is resolved; a pending seek overrides it at the next fetch.
    this.pos = Number(messages[messages.length - 1]?.offset) + 1;
  }

  episodeOf(sub: string): string {
    return this.episode.get(sub) ?? '?';
  }

  /** One drain request finishes (any handed item: GPS requests go per vehicle, out of order), then its progress marker, as BacklogDrain does. */
  deliverOne(): void {
    if (this.inFlight.length === 0) return;
    const [done] = this.inFlight.splice(this.rnd.int(0, this.inFlight.length - 1), 1);
    if (done === undefined) return;
    this.delivered.get(done.sub)?.push(done.offset);
    this.finish(done.sub, [done.offset]);
    const s = this.book.get(done.sub);
    trace(`delivered ${done.sub} ${done.offset}: cursor ${s?.cursor} qT ${s?.queuedThrough} seen ${s?.seenThrough}`);
    if (s === undefined || this.book.complete(done.sub)) return this.endIfComplete(done.sub);
    const finished = [...s.inHead, BigInt(done.offset)].filter((o) => o > s.cursor);
    this.book.progress(done.sub, s.episodeId, { cursor: s.cursor, finished, backlog: s.backlog }, false);
    this.append(done.sub, { kind: 'progress', episodeId: s.episodeId, cursor: String(s.cursor), finished: [...new Set(finished)].map(String), backlog: s.backlog });
    this.book.progressWritten(done.sub, s.episodeId, s.cursor);
  }

  /**
   * A drain request fails: it becomes the head of a new episode, as HeadParking does it (the
   * gap-free cursor as `backlogAfter`, its item in the head, what the drain delivered above
   * the cursor listed as finished); the requests queued behind it are void.
   */
  failOne(): Sub | null {
    const candidates = this.inFlight.filter((f) => this.book.get(f.sub)?.phase === 'draining');
    const failed = candidates[this.rnd.int(0, candidates.length - 1)];
    if (failed === undefined) return null;
    const sub = failed.sub as Sub;
    const s = this.book.get(sub);
    if (s === undefined) return null;
    for (let i = this.inFlight.length - 1; i >= 0; i--) if (this.inFlight[i]?.sub === sub) this.inFlight.splice(i, 1);
    const through = this.tracker(sub).committable();
    const backlogAfter = through === null ? s.cursor : BigInt(through) - 1n;
    const inHead = [BigInt(failed.offset)];
    const finished = [...s.inHead].filter((o) => o > backlogAfter && o !== BigInt(failed.offset));
    const episodeId = `pke_${sub}_${Number(this.episodeOf(sub).split('_').at(-1)) + 1}`;
    this.episode.set(sub, episodeId);
    const marker = this.append(sub, {
      kind: 'begin', episodeId, headThroughOffset: '0', headDeliveriesOffsets: [], firstFailureAtMs: 1,
      backlogAfter: String(backlogAfter), headParkedOffsets: inHead.map(String), finishedParkedOffsets: finished.map(String),
    });
    this.book.begin(sub, { episodeId, markerOffset: BigInt(marker), headOffsets: [], backlogAfter, inHead, finished });
    this.trackers.delete(sub);
    this.heads.set(sub, failed.offset);
    trace(`failed ${sub} ${failed.offset}: new episode ${episodeId} after ${backlogAfter}`);
    return sub;
  }

  /** The head retry of the subscription's current episode succeeds: the head is delivered, then `recovered` is written. */
  recover(sub: Sub): void {
    const head = this.heads.get(sub);
    if (head !== undefined) this.delivered.get(sub)?.push(head);
    this.heads.delete(sub);
    this.append(sub, { kind: 'recovered', episodeId: this.episodeOf(sub) });
  }

  /** The head's retries reach the policy's limit: the head is audited, then `closed` is written; the owner audits the backlog. */
  close(sub: Sub): void {
    const head = this.heads.get(sub);
    if (head !== undefined) this.audited.get(sub)?.push(head);
    this.heads.delete(sub);
    this.append(sub, { kind: 'closed', episodeId: this.episodeOf(sub), action: 'deactivate', reason: 'limit', facts: { headItems: 1, firstFailureAtMs: 1, retryCount: 5, lastError: 'down', lastStatusCode: 503 } });
  }

  get quiet(): boolean {
    return this.inFlight.length === 0 && this.seekTo === null && this.pos >= this.log.length;
  }

  private finish(sub: string, offsets: readonly number[]): void {
    const tracker = this.tracker(sub);
    for (const o of offsets) tracker.complete(o);
    const next = tracker.committable();
    if (next !== null) this.book.finished(sub, BigInt(next) - 1n, offsets.length);
  }

  /** The end of an episode as BacklogDrain.endEpisode does it: the `drained` marker, then the book forgets the subscription. */
  private endIfComplete(sub: string): void {
    const s = this.book.get(sub);
    if (s === undefined || !this.book.complete(sub)) return;
    const marker = this.append(sub, { kind: 'drained', episodeId: s.episodeId });
    this.book.end(sub, s.episodeId, BigInt(marker));
  }

  private tracker(sub: string): OffsetTracker {
    let t = this.trackers.get(sub);
    if (t === undefined) this.trackers.set(sub, (t = new OffsetTracker()));
    return t;
  }
}

async function run(seed: number, failures: boolean, crashes = false): Promise<Simulation> {
  const rnd = new SeededRandom(seed);
  const sim = new Simulation(rnd);
  // What an earlier owner wrote: B parked first, then A; their items interleaved.
  sim.append('sub_b', { kind: 'begin', episodeId: sim.episodeOf('sub_b'), headThroughOffset: '1', firstFailureAtMs: 1 });
  for (let i = rnd.int(0, 6); i > 0; i--) sim.appendItem('sub_b', false);
  sim.append('sub_a', { kind: 'begin', episodeId: sim.episodeOf('sub_a'), headThroughOffset: '2', firstFailureAtMs: 2 });
  for (let i = rnd.int(0, 12); i > 0; i--) sim.appendItem(rnd.chance(0.5) ? 'sub_a' : 'sub_b', false);
  await sim.startScan();
  const steps = rnd.int(40, 160);
  // Head retries that will succeed, by step: A's first, then B's; a failed drain request adds its own.
  const recoveries: { step: number; sub: Sub; closes: boolean }[] = [{ step: rnd.int(0, steps / 2), sub: 'sub_a', closes: false }];
  recoveries.push({ step: rnd.int(recoveries[0]?.step ?? 0, steps - 1), sub: 'sub_b', closes: false });
  let failuresLeft = failures ? rnd.int(1, 4) : 0;
  const recoverDue = (step: number): void => {
    for (let i = recoveries.length - 1; i >= 0; i--) {
      const r = recoveries[i];
      if (r === undefined || r.step > step) continue;
      recoveries.splice(i, 1);
      if (r.closes) sim.close(r.sub);
      else sim.recover(r.sub);
    }
  };
  for (let step = 0; step < steps; step++) {
    recoverDue(step);
    const roll = rnd.next();
    if (roll < 0.45) {
      await sim.fetch();
      if (rnd.chance(0.3)) sim.commit();
    } else if (roll < 0.8) {
      // The live router appends only while the subscription has an episode here (A goes live once drained),
      // and routes nothing before the parked partition is read whole (its deliveries are held back).
      const sub = rnd.chance(0.5) ? 'sub_a' : 'sub_b';
      if (sim.reader.isWhole(0) && sim.book.get(sub) !== undefined) sim.appendItem(sub, true);
    } else if (crashes && rnd.chance(0.05)) {
      await sim.crash();
    } else if (failuresLeft > 0 && rnd.chance(0.3)) {
      const sub = sim.failOne();
      if (sub !== null) {
        failuresLeft--;
        // Most heads recover; some reach the policy's limit and the backlog is audited.
        recoveries.push({ step: step + rnd.int(1, 30), sub, closes: rnd.chance(0.25) });
      }
    } else sim.deliverOne();
  }
  for (let i = 0; i < 10_000 && !(sim.quiet && sim.book.size === 0 && recoveries.length === 0); i++) {
    recoverDue(steps + i);
    await sim.fetch();
    sim.commit();
    sim.deliverOne();
    sim.reader.tick();
  }
  return sim;
}

function problemsOf(seed: number, sim: Simulation): string[] {
  const problems: string[] = sim.belowFloor.slice(0, 1).map((p) => `seed ${seed}: ${p}`);
  for (const sub of subs) {
    const items = sim.log.flatMap((m, o) => (m.key?.toString() === sub && m.headers?.['fleethook-parked-kind']?.toString() === 'item' ? [o] : []));
    // Each item once: delivered, or audited when its episode closed. An owner that crashes while
    // auditing leaves copies in the audit topic (its next owner audits the backlog again); a
    // recovery takes each item of an episode once (audit-episodes.ts), so copies count once here.
    const done = [...(sim.delivered.get(sub) ?? []), ...new Set(sim.audited.get(sub) ?? [])];
    const missing = items.filter((o) => !done.includes(o));
    const twice = done.filter((o, i) => done.indexOf(o) !== i);
    if (missing.length > 0 || twice.length > 0) problems.push(`seed ${seed} ${sub}: neither delivered nor audited ${missing.join(',')}; twice ${twice.join(',')}`);
    const s = sim.book.get(sub);
    if (s !== undefined) problems.push(`seed ${seed} ${sub}: episode not ended (${JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Set ? [...v].map(String) : v))})`);
  }
  return problems;
}

describe('the parked-log reader with two subscriptions on one partition, under random interleavings', () => {
  const only = process.env.SIM_SEED === undefined ? null : Number(process.env.SIM_SEED);
  const seeds = (n: number): number[] => (only === null ? Array.from({ length: n }, (_, i) => i + 1) : [only]);

  it('delivers every backlog item of each subscription exactly once, and both episodes end (1,000 seeds)', async () => {
    const problems: string[] = [];
    for (const seed of seeds(1_000)) {
      const sim = await run(seed, false);
      problems.push(...problemsOf(seed, sim));
      // Without failures each item is handed to the drain once: no item is queued twice.
      for (const sub of subs) {
        const handed = sim.handed.get(sub) ?? [];
        if (new Set(handed).size !== handed.length) problems.push(`seed ${seed} ${sub}: an item handed to the drain twice`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('with drain requests failing (a new episode each, its head retried later), some closing at the policy limit, still delivers or audits each item exactly once and ends every episode (1,000 seeds)', async () => {
    const problems: string[] = [];
    for (const seed of seeds(1_000)) problems.push(...problemsOf(seed, await run(seed, true)));
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('with failures, closings and the owner crashing (a new one rebuilds from the committed floor), still delivers or audits each item exactly once and ends every episode (1,000 seeds)', async () => {
    const problems: string[] = [];
    for (const seed of seeds(1_000)) problems.push(...problemsOf(seed, await run(seed, true, true)));
    expect(problems.slice(0, 10)).toEqual([]);
  });
});
