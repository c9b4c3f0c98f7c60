import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailureEvent } from '../../schemas/failure-event.js';
import { FailureEventEmitter } from '../../services/shared/failures/failure-event-emitter.js';
import { webhookIdFor } from '../../services/dispatcher/deliver/build-webhook-request.js';
import { decodeParkedRecord } from '../../services/dispatcher/parking/parked-record.js';
import type { ParkedRecord } from '../../services/dispatcher/parking/parked-record.js';
import { ParkingIo, episodeIdFor } from '../../services/dispatcher/parking/parking-io.js';
import type { HeadOutcome } from '../../services/dispatcher/parking/parking-io.js';
import type { HeadFailurePlan } from '../../services/dispatcher/parking/plan-head-failure.js';
import { dueAtHeader } from '../../services/dispatcher/retry/retry-due-header.js';
import { decodeRetryTicket } from '../../services/dispatcher/retry/retry-ticket.js';
import type { RetryTicket } from '../../services/dispatcher/retry/retry-ticket.js';
import type { RetryPolicyName, Subscription, SubscriptionState } from '../../services/shared/subscriptions/subscription-types.js';
import { subscriptionIdOnPartition } from '../helpers/dispatcher-harness.js';
import { ParkingParts, batchOf, decodeEvents, gpsItems, testSubscription, webhookPartitions } from '../helpers/dispatcher-parts.js';
import { readTopic } from '../helpers/topic-reader.js';
import type { ReadRecord } from '../helpers/topic-reader.js';

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

describe('ParkingIo (real broker, catalogue and Redis; retry schedule at real-world timings)', () => {
  const parts = new ParkingParts(1);
  const io = parts.parking;

  beforeAll(async () => {
    await parts.start();
  });
  afterAll(async () => {
    await parts.close();
  });

  /** Records written to each `webhook.*` partition while `fn` ran (topic id/partition → count). */
  async function writesDuring<T>(fn: () => Promise<T>): Promise<{ result: T; writes: Record<string, number> }> {
    const before = await parts.ends();
    const result = await fn();
    const after = await parts.ends();
    const writes: Record<string, number> = {};
    for (const [k, v] of after) {
      const n = Number(v) - Number(before.get(k) ?? '0');
      if (n !== 0) writes[k.slice(parts.prefix.length)] = n;
    }
    return { result, writes };
  }

  async function records(topicId: string, key: string): Promise<ReadRecord[]> {
    return (await readTopic(parts.kafka, parts.name(topicId))).filter((r) => r.key === key);
  }

  async function events(subscriptionId: string): Promise<FailureEvent[]> {
    return decodeEvents((await records('webhook.failures', subscriptionId)).map((r) => r.value));
  }

  function parked(r: ReadRecord): ParkedRecord {
    const d = decodeParkedRecord(r.value, r.headers);
    if (d.kind !== 'record') throw new Error(d.reason);
    return d.record;
  }

  function ticketIn(r: ReadRecord): RetryTicket {
    const d = decodeRetryTicket(r.value);
    if (d.kind !== 'ticket') throw new Error(d.reason);
    return d.ticket;
  }

  const writeOrder = (): string[] => parts.sent.map((s) => s.topic.slice(parts.prefix.length));

  async function subscription(partition: number, spec: Partial<Subscription> = {}): Promise<Subscription> {
    const { plain, stored } = testSubscription(parts.delivery.box, { url: 'https://hooks.example/parked', id: subscriptionIdOnPartition(partition, webhookPartitions), ...spec });
    await parts.put(stored);
    return plain;
  }

  function ticketFor(subscriptionId: string, overrides: Partial<RetryTicket> = {}): RetryTicket {
    const items = gpsItems(subscriptionId, 'veh_p', [70, 71, 72]);
    const webhookId = webhookIdFor(subscriptionId, batchOf(subscriptionId, items));
    return {
      v: 1, subscriptionId, episodeId: episodeIdFor(subscriptionId, webhookId), retryCount: 0, firstFailureAtMs: Date.now() - minuteMs,
      retryPolicy: 'standard-7d', webhookId, lastError: 'endpoint answered 500', lastStatusCode: 500,
      items: items.map((i) => ({ deliveriesOffset: String(i.offset), value: (i.value as Buffer).toString('utf8') })), ...overrides,
    };
  }

  describe('writeParked', () => {
    it.each([0, 1])('writes every record to the explicit partition %i (not the key\'s) and returns the offset of the last one', async (partition) => {
      // A subscription whose key hashes to the other partition: only an explicit partition puts the records on `partition`.
      const subscriptionId = subscriptionIdOnPartition(1 - partition, webhookPartitions);
      const [a, b] = gpsItems(subscriptionId, 'veh_p', [5, 6]);
      const written: ParkedRecord[] = [
        { kind: 'begin', episodeId: 'pke_one', headThroughOffset: '4', firstFailureAtMs: 1_700_000_000_000, headDeliveriesOffsets: ['3', '4'] },
        { kind: 'item', episodeId: 'pke_one', deliveriesOffset: '5', value: a?.value as Buffer },
        { kind: 'item', episodeId: 'pke_one', deliveriesOffset: '6', value: b?.value as Buffer },
        { kind: 'progress', episodeId: 'pke_one', cursor: '2', finished: ['4'], backlog: 1 },
      ];
      const { result: last, writes } = await writesDuring(() => io.writeParked(partition, subscriptionId, written));
      const { result: next } = await writesDuring(() => io.writeParked(partition, subscriptionId, [{ kind: 'drained', episodeId: 'pke_one' }]));

      expect(writes).toEqual({ [`webhook.parked/${partition}`]: 4 });
      const read = await records('webhook.parked', subscriptionId);
      expect(read.map((r) => r.partition)).toEqual([partition, partition, partition, partition, partition]);
      expect(read.map((r) => BigInt(r.offset))).toEqual([last - 3n, last - 2n, last - 1n, last, last + 1n]);
      expect(next).toBe(last + 1n);
      expect(read.map(parked)).toEqual([...written, { kind: 'drained', episodeId: 'pke_one' }]);
      // Items are the deliveries values byte for byte.
      expect(read[1]?.value?.equals(a?.value as Buffer)).toBe(true);
    });

    it('rejects a partition the topic does not have (nothing is written)', async () => {
      const { result, writes } = await writesDuring(() => io.writeParked(webhookPartitions + 3, 'sub_nowhere', [{ kind: 'recovered', episodeId: 'pke_x' }]).then(() => 'resolved', (e: unknown) => e));
      expect(result).toBeInstanceOf(Error);
      expect(writes).toEqual({});
    });
  });

  describe('writeTicket', () => {
    it.each([
      { lane: 'webhook.retry.5m', partition: 0, dueAtMs: 1_800_000_000_000, header: '1800000000000' },
      { lane: 'webhook.retry.2h30m', partition: 1, dueAtMs: 1_800_000_000_000.2, header: '1800000000001' },
      { lane: 'webhook.retry.daily', partition: 1, dueAtMs: 1, header: '1' },
    ])('writes the ticket to $lane, partition $partition, with the due time $header in its header', async ({ lane, partition, dueAtMs, header }) => {
      const subscriptionId = subscriptionIdOnPartition(1 - partition, webhookPartitions);
      const ticket = ticketFor(subscriptionId, { retryCount: 4 });
      const { writes } = await writesDuring(() => io.writeTicket(partition, lane, dueAtMs, ticket));

      expect(writes).toEqual({ [`${lane}/${partition}`]: 1 });
      const [r] = await records(lane, subscriptionId);
      expect(r?.partition).toBe(partition);
      expect(r?.headers[dueAtHeader]?.toString()).toBe(header);
      expect(ticketIn(r as ReadRecord)).toEqual(ticket);
    });

    it('rejects a lane the catalogue does not know, writing nothing', async () => {
      const ticket = ticketFor('sub_nolane');
      const { result, writes } = await writesDuring(() => Promise.resolve().then(() => io.writeTicket(0, 'webhook.retry.3m', Date.now(), ticket)).then(() => 'resolved', (e: unknown) => e));
      expect(result).toBeInstanceOf(Error);
      expect(writes).toEqual({});
    });
  });

  describe('audit', () => {
    it('writes each item byte for byte, keyed by subscription, to the explicit partition, with the reason and deliveries offset in headers', async () => {
      const subscriptionId = subscriptionIdOnPartition(0, webhookPartitions);
      const items = [
        { deliveriesOffset: '17', value: 'first\nline two ü €' },
        { deliveriesOffset: '18', value: '{"v":2}' },
        { deliveriesOffset: '900000000001', value: '' },
      ];
      const { writes } = await writesDuring(() => io.audit(1, subscriptionId, items, 'deactivated: endpoint answered 410 Gone'));

      expect(writes).toEqual({ 'webhook.audit/1': 3 });
      const read = await records('webhook.audit', subscriptionId);
      expect(read.map((r) => r.partition)).toEqual([1, 1, 1]);
      expect(read.map((r) => r.value?.toString('utf8') ?? '')).toEqual(items.map((i) => i.value));
      expect(read.map((r) => r.headers['fleethook-deliveries-offset']?.toString())).toEqual(['17', '18', '900000000001']);
      for (const r of read) expect(r.headers['fleethook-audit-reason']?.toString()).toBe('deactivated: endpoint answered 410 Gone');
    });

    it('writes nothing for no items', async () => {
      const { writes } = await writesDuring(() => io.audit(0, 'sub_empty', [], 'nothing'));
      expect(writes).toEqual({});
    });
  });

  describe('plan', () => {
    const nowMs = 1_800_000_000_000;
    const fixed = new ParkingIo({
      producer: parts.producer, catalogue: parts.catalogue, recorder: parts.delivery.recorder, schedule: parts.schedule, logger: parts.delivery.logger,
      topics: io.topics, writer: parts.writer, events: new FailureEventEmitter(parts.producer, parts.name('webhook.failures')), now: () => nowMs,
    });

    it.each<RetryPolicyName>(['standard-7d', 'pause-24h', 'disable-10m'])('410 Gone on a fresh %s head is the limit at once: deactivate, with head and backlog as discarded', (policy) => {
      const ticket = ticketFor('sub_gone', { retryPolicy: policy, retryCount: 0, firstFailureAtMs: nowMs - 1_000 });
      const plan = fixed.plan(ticket, { error: 'endpoint answered 410 Gone', statusCode: 410, gone: true }, 5);
      expect(plan).toEqual({
        kind: 'limit', action: 'deactivate',
        event: { kind: 'deactivated', failure: { firstFailureAtMs: nowMs - 1_000, lastError: 'endpoint answered 410 Gone', lastStatusCode: 410, backlogSize: 5, retryCount: 0 }, discarded: { items: 3 + 5, topic: parts.name('webhook.audit') } },
      });
    });

    it('410 Gone with the backlog unknown discards the head items only', () => {
      const plan = fixed.plan(ticketFor('sub_gone2'), { error: 'endpoint answered 410 Gone', statusCode: 410, gone: true }, null);
      expect(plan).toMatchObject({ kind: 'limit', action: 'deactivate', event: { discarded: { items: 3 } } });
    });

    it.each([
      { policy: 'standard-7d' as const, retryCount: 0, lane: 'webhook.retry.5m', waitMs: 5 * minuteMs, event: 'parked' },
      { policy: 'standard-7d' as const, retryCount: 3, lane: 'webhook.retry.1h', waitMs: hourMs, event: 'still_failing' },
      { policy: 'pause-24h' as const, retryCount: 1, lane: 'webhook.retry.15m', waitMs: 15 * minuteMs, event: 'still_failing' },
      { policy: 'disable-10m' as const, retryCount: 0, lane: 'webhook.retry.5m', waitMs: 2 * minuteMs, event: 'parked' },
    ])('the same failure without Gone ($policy, retry $retryCount) is the next ticket on $lane', ({ policy, retryCount, lane, waitMs, event }) => {
      const ticket = ticketFor('sub_notgone', { retryPolicy: policy, retryCount, firstFailureAtMs: nowMs - 1_000 });
      const plan = fixed.plan(ticket, { error: 'endpoint answered 500', statusCode: 500, gone: false }, 2);
      expect(plan).toMatchObject({ kind: 'retry', laneTopic: lane, dueAtMs: nowMs + waitMs, ticket: { ...ticket, retryCount: retryCount + 1 }, event: { kind: event, nextRetryAtMs: nowMs + waitMs } });
    });
  });

  describe('headFailed', () => {
    interface Row {
      readonly name: string;
      readonly state: SubscriptionState;
      readonly policy: RetryPolicyName;
      readonly retryCount: number;
      readonly firstFailureAgoMs: number;
      readonly outcome: HeadOutcome;
      /** The writes, in order (topic ids); each to partition P. */
      readonly order: readonly string[];
      readonly stateAfter: SubscriptionState;
      readonly event: FailureEvent['kind'] | null;
    }
    const P = 1;
    const rows: Row[] = [
      { name: 'first parking (retry 0): state failing, `parked` event, then the ticket', state: 'active', policy: 'standard-7d', retryCount: 0, firstFailureAgoMs: 1_000, outcome: 'retrying',
        order: ['webhook.subscriptions', 'webhook.failures', 'webhook.retry.5m'], stateAfter: 'failing', event: 'parked' },
      { name: 'a later retry: `still_failing` event, then the ticket', state: 'failing', policy: 'standard-7d', retryCount: 2, firstFailureAgoMs: hourMs, outcome: 'retrying',
        order: ['webhook.failures', 'webhook.retry.35m'], stateAfter: 'failing', event: 'still_failing' },
      { name: 'pause-24h at its limit: state paused, `paused` event, then the head on the shortest lane', state: 'failing', policy: 'pause-24h', retryCount: 9, firstFailureAgoMs: dayMs + 1_000, outcome: 'paused',
        order: ['webhook.subscriptions', 'webhook.failures', 'webhook.retry.5m'], stateAfter: 'paused', event: 'paused' },
      { name: 'standard-7d at its limit: head audited, `closed`, then state deactivated (no event: the owner sends it)', state: 'failing', policy: 'standard-7d', retryCount: 14, firstFailureAgoMs: 7 * dayMs, outcome: 'closed',
        order: ['webhook.audit', 'webhook.parked', 'webhook.subscriptions'], stateAfter: 'deactivated', event: null },
      { name: 'disable-10m at its limit: the same as a deactivation, with action disable', state: 'failing', policy: 'disable-10m', retryCount: 5, firstFailureAgoMs: 9 * minuteMs, outcome: 'closed',
        order: ['webhook.audit', 'webhook.parked', 'webhook.subscriptions'], stateAfter: 'deactivated', event: null },
    ];

    it.each(rows)('$name', async (row) => {
      const sub = await subscription(P, { state: row.state, retryPolicy: row.policy });
      const ticket = ticketFor(sub.id, { retryPolicy: row.policy, retryCount: row.retryCount, firstFailureAtMs: Date.now() - row.firstFailureAgoMs });
      const failure = { error: 'endpoint answered 503', statusCode: 503, gone: false };
      const plan: HeadFailurePlan = io.plan(ticket, failure, 4);
      parts.sent.length = 0;
      const { result, writes } = await writesDuring(() => io.headFailed(P, ticket, plan, 4));

      expect(result).toBe(row.outcome);
      expect(writeOrder()).toEqual(row.order);
      const expected: Record<string, number> = {};
      for (const t of row.order) expected[`${t}/${P}`] = t === 'webhook.audit' ? ticket.items.length : 1;
      expect(writes).toEqual(expected);
      expect(parts.catalogue.get(sub.id)?.state).toBe(row.stateAfter);
      const evs = await events(sub.id);
      expect(evs.map((e) => e.kind)).toEqual(row.event === null ? [] : [row.event]);
      if (row.event !== null) expect(evs[0]).toMatchObject({ retryCount: row.retryCount, lastError: 'endpoint answered 503', lastStatusCode: 503, backlogSize: 4 });

      const lane = row.order.find((t) => t.startsWith('webhook.retry.'));
      if (lane !== undefined) {
        const [laneRecord] = await records(lane, sub.id);
        const next = ticketIn(laneRecord as ReadRecord);
        expect(laneRecord?.partition).toBe(P);
        expect(next).toEqual(plan.kind === 'retry' ? plan.ticket : { ...ticket, lastError: 'endpoint answered 503' });
        const dueAtMs = Number(laneRecord?.headers[dueAtHeader]?.toString());
        if (plan.kind === 'retry') {
          expect(dueAtMs).toBe(plan.dueAtMs);
          expect(evs[0]?.nextRetryAt).toBe(new Date(plan.dueAtMs).toISOString());
        }
      }
      if (row.outcome === 'closed') {
        const audited = await records('webhook.audit', sub.id);
        expect(audited.map((a) => a.value?.toString('utf8'))).toEqual(ticket.items.map((i) => i.value));
        expect(audited.map((a) => a.headers['fleethook-deliveries-offset']?.toString())).toEqual(['70', '71', '72']);
        const action = row.policy === 'disable-10m' ? 'disable' : 'deactivate';
        const reason = `${action === 'disable' ? 'disabled' : 'deactivated'}: endpoint answered 503`;
        for (const a of audited) expect(a.headers['fleethook-audit-reason']?.toString()).toBe(reason);
        const [closed] = await records('webhook.parked', sub.id);
        expect(parked(closed as ReadRecord)).toEqual({
          kind: 'closed', episodeId: ticket.episodeId, action, reason,
          facts: { headItems: 3, firstFailureAtMs: ticket.firstFailureAtMs, retryCount: row.retryCount, lastError: 'endpoint answered 503', lastStatusCode: 503 },
        });
      }
      const status = await parts.delivery.status(sub.id);
      expect(status.fields.firstFailureAt).toBe(new Date(ticket.firstFailureAtMs).toISOString());
      expect(status.fields.currentTier).toBe(row.outcome === 'retrying' ? lane : row.outcome === 'paused' ? 'paused' : undefined);
    });

    it('an unknown subscription: nothing is written', async () => {
      const ticket = ticketFor(subscriptionIdOnPartition(P, webhookPartitions));
      parts.sent.length = 0;
      const { result, writes } = await writesDuring(() => io.headFailed(P, ticket, io.plan(ticket, { error: 'x', statusCode: 500, gone: false }, 0), 0));
      expect(result).toBe('unknown subscription');
      expect(writes).toEqual({});
      expect(parts.sent).toEqual([]);
    });
  });

  describe('emit and changeState', () => {
    it('emit writes the event keyed by the subscription; nothing for an unknown subscription', async () => {
      const sub = await subscription(0);
      const { writes } = await writesDuring(async () => {
        await io.emit(sub.id, { kind: 'recovered', retryCount: 3, backlogSize: 8 });
        await io.emit('sub_000000000ffffffffffffffff', { kind: 'recovered', retryCount: 3, backlogSize: 8 });
      });
      expect(writes).toEqual({ 'webhook.failures/0': 1 });
      expect(await events(sub.id)).toMatchObject([{ kind: 'recovered', retryCount: 3, backlogSize: 8, subscriptionId: sub.id }]);
    });

    it.each([
      { from: 'active' as const, event: { kind: 'parked' } as const, to: 'failing' as const, writes: 1 },
      { from: 'failing' as const, event: { kind: 'recovered' } as const, to: 'active' as const, writes: 1 },
      { from: 'active' as const, event: { kind: 'recovered' } as const, to: 'active' as const, writes: 0 },
      { from: 'deactivated' as const, event: { kind: 'paused' } as const, to: 'deactivated' as const, writes: 0 },
      { from: 'paused' as const, event: { kind: 'policy_exhausted' } as const, to: 'paused' as const, writes: 0 },
    ])('changeState $from + $event.kind → $to, and the catalogue shows it at once', async ({ from, event, to, writes }) => {
      const sub = await subscription(0, { state: from });
      const { writes: w } = await writesDuring(() => io.changeState(sub.id, event));
      expect(w).toEqual(writes === 0 ? {} : { 'webhook.subscriptions/0': writes });
      const now = parts.catalogue.get(sub.id);
      expect(now?.state).toBe(to);
      expect(now?.revision).toBe(sub.revision + writes);
    });
  });
});
