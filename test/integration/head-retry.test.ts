import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailureEvent } from '../../schemas/failure-event.js';
import { webhookIdFor } from '../../services/dispatcher/deliver/build-webhook-request.js';
import type { DueRecord } from '../../services/dispatcher/retry/delayed-tier-consumer.js';
import { DeliveredMarks } from '../../services/dispatcher/live/delivered-marks.js';
import { HandledTickets } from '../../services/dispatcher/retry/handled-tickets.js';
import { HeadRetry } from '../../services/dispatcher/retry/head-retry.js';
import { decodeParkedRecord } from '../../services/dispatcher/parking/parked-record.js';
import type { ParkedRecord } from '../../services/dispatcher/parking/parked-record.js';
import { episodeIdFor } from '../../services/dispatcher/parking/parking-io.js';
import { dueAtHeader } from '../../services/dispatcher/retry/retry-due-header.js';
import { decodeRetryTicket, encodeRetryTicket } from '../../services/dispatcher/retry/retry-ticket.js';
import type { RetryTicket } from '../../services/dispatcher/retry/retry-ticket.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { subscriptionIdOnPartition } from '../helpers/dispatcher-harness.js';
import { ParkingParts, batchOf, decodeEvents, gpsItems, testSubscription, webhookPartitions } from '../helpers/dispatcher-parts.js';
import { readTopic } from '../helpers/topic-reader.js';
import type { ReadRecord } from '../helpers/topic-reader.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { ReceiverBehaviour, RecordedRequest } from '../helpers/webhook-receiver.js';

/** The tier partition the tickets arrive on (and so every co-partitioned write). */
const P = 1;
const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;
const quickRetries = 3;

interface Body { id: string; retryCount: number; queueDepth: number; enqueueTime: string; data: { seq: number }[] }
const bodyOf = (r: RecordedRequest): Body => JSON.parse(r.text) as Body;

describe('HeadRetry.handle (real endpoint, Kafka topics, catalogue and Redis; retry schedule at real-world timings)', () => {
  const parts = new ParkingParts(1);
  const receivers: WebhookReceiver[] = [];
  const redis = parts.delivery.redis;
  const prefix = parts.delivery.redisPrefix;

  beforeAll(async () => {
    await parts.start();
  });
  afterAll(async () => {
    if (process.env.DEBUG_DISPATCHER) console.log(parts.delivery.logLines.join('\n'));
    await Promise.all(receivers.map((r) => r.close()));
    await parts.close();
  });

  interface Retry {
    readonly retry: HeadRetry;
    readonly stop: AbortController;
    readonly episodeOverCalls: unknown[][];
  }

  function headRetry(o: { backlog?: number | null; episodeOver?: boolean; handled?: HandledTickets } = {}): Retry {
    const stop = new AbortController();
    const episodeOverCalls: unknown[][] = [];
    const d = parts.delivery;
    const retry = new HeadRetry({
      deps: d.deps((id) => parts.catalogue.get(id), { quickRetryDelaysMs: [50, 100, 200], requestTimeoutMs: 1_000 }),
      parking: parts.parking, catalogue: parts.catalogue, marks: new DeliveredMarks(redis, prefix, d.logger),
      handled: o.handled ?? new HandledTickets(redis, prefix, d.logger), logger: d.logger, stop: stop.signal,
      backlogOf: () => (o.backlog === undefined ? 17 : o.backlog),
      episodeOver: (...args) => {
        episodeOverCalls.push(args);
        return o.episodeOver ?? false;
      },
    });
    return { retry, stop, episodeOverCalls };
  }

  async function endpoint(behaviour: ReceiverBehaviour): Promise<WebhookReceiver> {
    const r = await WebhookReceiver.start(behaviour);
    receivers.push(r);
    return r;
  }

  /** A parked subscription in the catalogue, on partition P of the webhook topics. */
  async function parkedSubscription(url: string, spec: Partial<Subscription> = {}): Promise<Subscription> {
    const { plain, stored } = testSubscription(parts.delivery.box, { url, state: 'failing', id: subscriptionIdOnPartition(P, webhookPartitions), ...spec });
    await parts.put(stored);
    return plain;
  }

  function ticketFor(sub: Subscription, overrides: Partial<RetryTicket> = {}): RetryTicket {
    const items = gpsItems(sub.id, 'veh_h', [40, 41], P);
    const webhookId = webhookIdFor(sub.id, batchOf(sub.id, items));
    return {
      v: 1, subscriptionId: sub.id, episodeId: episodeIdFor(sub.id, webhookId), retryCount: 1, firstFailureAtMs: Date.now() - 10 * minuteMs,
      retryPolicy: sub.retryPolicy, webhookId, lastError: 'endpoint answered 503', lastStatusCode: 503,
      items: items.map((i) => ({ deliveriesOffset: String(i.offset), value: (i.value as Buffer).toString('utf8') })), ...overrides,
    };
  }

  function dueRecord(value: Buffer | null, key: string | null, laneId = 'webhook.retry.15m'): DueRecord {
    const now = Date.now();
    return { topic: parts.name(laneId), partition: P, offset: '3', key: key === null ? null : Buffer.from(key), value, headers: {}, dueAtMs: now, handedOverAtMs: now };
  }

  const dueOf = (t: RetryTicket): DueRecord => dueRecord(encodeRetryTicket(t), t.subscriptionId);

  /** Records written to each `webhook.*` partition while `fn` ran (topic id/partition → count); nothing else may change. */
  async function writesDuring(fn: () => Promise<void>): Promise<Record<string, number>> {
    const before = await parts.ends();
    await fn();
    const after = await parts.ends();
    const out: Record<string, number> = {};
    for (const [k, v] of after) {
      const n = Number(v) - Number(before.get(k) ?? '0');
      if (n !== 0) out[k.slice(parts.prefix.length)] = n;
    }
    return out;
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

  function ticketIn(r: ReadRecord): { ticket: RetryTicket; dueAtMs: number } {
    const d = decodeRetryTicket(r.value);
    if (d.kind !== 'ticket') throw new Error(d.reason);
    return { ticket: d.ticket, dueAtMs: Number(r.headers[dueAtHeader]?.toString()) };
  }

  const writeOrder = (): string[] => parts.sent.map((s) => s.topic.slice(parts.prefix.length));
  const seenByAnotherInstance = (t: RetryTicket): Promise<boolean> => new HandledTickets(redis, prefix, parts.delivery.logger).seen(t);
  const headRetries = async (result: string): Promise<number> => (await parts.delivery.metrics.headRetries.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

  it('a due ticket delivered: recovered event, then `recovered` in webhook.parked, the dedupe mark, and the ticket remembered', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url);
    const ticket = ticketFor(sub, { retryCount: 2, enqueuedAtMs: Date.now() - 11 * minuteMs });
    const { retry } = headRetry({ backlog: 17 });
    const before = await headRetries('delivered');
    parts.sent.length = 0;
    const writes = await writesDuring(() => retry.handle(dueOf(ticket)));

    expect(r.requests).toHaveLength(1);
    const req = r.requests[0] as RecordedRequest;
    expect(req.headers['webhook-id']).toBe(ticket.webhookId);
    // Every earlier attempt counts: the first one, the three quick retries and the first tier retry.
    // The enqueue time is the first attempt's, kept in the ticket.
    expect(bodyOf(req)).toMatchObject({ id: ticket.webhookId, retryCount: 1 + quickRetries + 1, queueDepth: 17, enqueueTime: new Date(ticket.enqueuedAtMs ?? 0).toISOString() });
    expect(bodyOf(req).data.map((d) => d.seq)).toEqual([1_040, 1_041]);
    expect(writes).toEqual({ [`webhook.failures/${P}`]: 1, [`webhook.parked/${P}`]: 1 });
    expect(writeOrder()).toEqual(['webhook.failures', 'webhook.parked']);
    const [rec] = await records('webhook.parked', sub.id);
    expect(rec?.partition).toBe(P);
    expect(parked(rec as ReadRecord)).toEqual({ kind: 'recovered', episodeId: ticket.episodeId });
    const [event] = await events(sub.id);
    expect(event).toMatchObject({ kind: 'recovered', subscriptionId: sub.id, retryCount: 2, backlogSize: 17, nextRetryAt: null, firstFailureAt: null });
    expect(await seenByAnotherInstance(ticket)).toBe(true);
    expect(await redis.get(`${prefix}delivered:${sub.id}/veh_h`)).toMatch(/^41\|0\|5041\|telemetry\.gps$/);
    expect(await headRetries('delivered')).toBe(before + 1);

    // Handed over again (its commit failed): already handled, nothing is sent or written.
    parts.sent.length = 0;
    expect(await writesDuring(() => retry.handle(dueOf(ticket)))).toEqual({});
    expect(r.requests).toHaveLength(1);
  });

  it('delivered with the backlog unknown: queueDepth 0 in the body, backlogSize null in the event', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url);
    const ticket = ticketFor(sub);
    await headRetry({ backlog: null }).retry.handle(dueOf(ticket));

    expect(bodyOf(r.requests[0] as RecordedRequest).queueDepth).toBe(0);
    expect((await events(sub.id))[0]).toMatchObject({ kind: 'recovered', backlogSize: null, retryCount: 1 });
  });

  interface FailedRow {
    readonly name: string;
    readonly policy: Subscription['retryPolicy'];
    readonly behaviour: ReceiverBehaviour;
    readonly retryCount: number;
    readonly firstFailureAgoMs: number;
    readonly lane: string;
    readonly waitMs: number;
    readonly error: string;
    readonly statusCode: number | null;
  }
  const failed: FailedRow[] = [
    { name: 'standard-7d, 503, second retry', policy: 'standard-7d', behaviour: behaviours.status(503), retryCount: 1, firstFailureAgoMs: 10 * minuteMs, lane: 'webhook.retry.15m', waitMs: 15 * minuteMs, error: 'endpoint answered 503', statusCode: 503 },
    { name: 'standard-7d, 429 Retry-After 1 h', policy: 'standard-7d', behaviour: behaviours.status(429, '', { 'retry-after': '3600' }), retryCount: 1, firstFailureAgoMs: 10 * minuteMs, lane: 'webhook.retry.1h', waitMs: hourMs, error: 'endpoint answered 429', statusCode: 429 },
    { name: 'standard-7d, connection reset, fifth retry', policy: 'standard-7d', behaviour: behaviours.reset(), retryCount: 4, firstFailureAgoMs: 3 * hourMs, lane: 'webhook.retry.2h30m', waitMs: 2.5 * hourMs, error: 'socket error', statusCode: null },
    { name: 'pause-24h, 500, fourth retry', policy: 'pause-24h', behaviour: behaviours.status(500), retryCount: 3, firstFailureAgoMs: hourMs, lane: 'webhook.retry.1h', waitMs: hourMs, error: 'endpoint answered 500', statusCode: 500 },
    { name: 'disable-10m, 404, third retry (2 min wait on the shortest lane)', policy: 'disable-10m', behaviour: behaviours.status(404), retryCount: 2, firstFailureAgoMs: 3 * minuteMs, lane: 'webhook.retry.5m', waitMs: 2 * minuteMs, error: 'endpoint answered 404', statusCode: 404 },
  ];

  it.each(failed)('failed ($name): still_failing event, then the next ticket on its lane, same webhook-id, retryCount + 1', async (row) => {
    const r = await endpoint(row.behaviour);
    const sub = await parkedSubscription(r.url, { retryPolicy: row.policy });
    const ticket = ticketFor(sub, { retryCount: row.retryCount, firstFailureAtMs: Date.now() - row.firstFailureAgoMs });
    const before = await headRetries('retrying');
    parts.sent.length = 0;
    const t0 = Date.now();
    const writes = await writesDuring(() => headRetry({ backlog: 9 }).retry.handle(dueOf(ticket)));
    const t1 = Date.now();

    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]?.headers['webhook-id']).toBe(ticket.webhookId);
    expect(bodyOf(r.requests[0] as RecordedRequest)).toMatchObject({ retryCount: quickRetries + row.retryCount, queueDepth: 9 });
    expect(writes).toEqual({ [`webhook.failures/${P}`]: 1, [`${row.lane}/${P}`]: 1 });
    expect(writeOrder()).toEqual(['webhook.failures', row.lane]);
    const [laneRecord] = await records(row.lane, sub.id);
    const next = ticketIn(laneRecord as ReadRecord);
    expect(laneRecord?.partition).toBe(P);
    expect(next.ticket).toEqual({ ...ticket, retryCount: row.retryCount + 1, lastError: row.error, lastStatusCode: row.statusCode });
    expect(next.dueAtMs).toBeGreaterThanOrEqual(t0 + row.waitMs);
    expect(next.dueAtMs).toBeLessThanOrEqual(t1 + row.waitMs + 1);
    const [event] = await events(sub.id);
    expect(event).toMatchObject({
      kind: 'still_failing', retryCount: row.retryCount, lastError: row.error, lastStatusCode: row.statusCode, backlogSize: 9,
      firstFailureAt: new Date(ticket.firstFailureAtMs).toISOString(),
    });
    expect(Date.parse(event?.nextRetryAt ?? '')).toBe(Math.floor(next.dueAtMs));
    expect(await seenByAnotherInstance(ticket)).toBe(true);
    expect(await headRetries('retrying')).toBe(before + 1);
    expect(parts.catalogue.get(sub.id)?.state).toBe('failing');
    const status = await parts.delivery.status(sub.id);
    expect(status.fields).toMatchObject({ currentTier: row.lane, nextRetryAt: event?.nextRetryAt, firstFailureAt: event?.firstFailureAt, lastError: row.error, backlogSize: '9' });
  });

  it.each([
    { name: 'standard-7d after 7 days', policy: 'standard-7d' as const, behaviour: behaviours.status(500), retryCount: 12, firstFailureAgoMs: 7 * dayMs + minuteMs, action: 'deactivate', reason: 'deactivated: endpoint answered 500', statusCode: 500 },
    { name: 'disable-10m after 5 retries', policy: 'disable-10m' as const, behaviour: behaviours.status(503), retryCount: 5, firstFailureAgoMs: 8 * minuteMs, action: 'disable', reason: 'disabled: endpoint answered 503', statusCode: 503 },
    { name: '410 Gone on a fresh pause-24h head', policy: 'pause-24h' as const, behaviour: behaviours.status(410), retryCount: 1, firstFailureAgoMs: minuteMs, action: 'deactivate', reason: 'deactivated: endpoint answered 410 Gone', statusCode: 410 },
  ])('limit reached ($name): head audited, `closed` in webhook.parked, subscription deactivated', async (row) => {
    const r = await endpoint(row.behaviour);
    const sub = await parkedSubscription(r.url, { retryPolicy: row.policy });
    const ticket = ticketFor(sub, { retryCount: row.retryCount, firstFailureAtMs: Date.now() - row.firstFailureAgoMs });
    parts.sent.length = 0;
    const writes = await writesDuring(() => headRetry({ backlog: 6 }).retry.handle(dueOf(ticket)));

    expect(r.requests).toHaveLength(1);
    expect(writes).toEqual({ [`webhook.audit/${P}`]: 2, [`webhook.parked/${P}`]: 1, [`webhook.subscriptions/${P}`]: 1 });
    expect(writeOrder()).toEqual(['webhook.audit', 'webhook.parked', 'webhook.subscriptions']);
    const audited = await records('webhook.audit', sub.id);
    expect(audited.map((a) => a.value?.toString('utf8'))).toEqual(ticket.items.map((i) => i.value));
    expect(audited.map((a) => a.headers['fleethook-deliveries-offset']?.toString())).toEqual(['40', '41']);
    for (const a of audited) expect(a.headers['fleethook-audit-reason']?.toString()).toBe(row.reason);
    const [closed] = await records('webhook.parked', sub.id);
    expect(parked(closed as ReadRecord)).toEqual({
      kind: 'closed', episodeId: ticket.episodeId, action: row.action, reason: row.reason,
      facts: { headItems: 2, firstFailureAtMs: ticket.firstFailureAtMs, retryCount: row.retryCount, lastError: row.reason.replace(/^\w+: /, ''), lastStatusCode: row.statusCode },
    });
    expect(parts.catalogue.get(sub.id)?.state).toBe('deactivated');
    // The deactivation event is the owner's, once it has audited the backlog.
    expect(await events(sub.id)).toEqual([]);
    expect(await seenByAnotherInstance(ticket)).toBe(true);
    const status = await parts.delivery.status(sub.id);
    expect(status.fields.currentTier).toBeUndefined();
    expect(status.fields.nextRetryAt).toBeUndefined();
  });

  it('limit reached on pause-24h: subscription paused, `paused` event, the same head back on the shortest lane, not remembered', async () => {
    const r = await endpoint(behaviours.status(502));
    const sub = await parkedSubscription(r.url, { retryPolicy: 'pause-24h' });
    const ticket = ticketFor(sub, { retryCount: 8, firstFailureAtMs: Date.now() - dayMs - minuteMs });
    parts.sent.length = 0;
    const t0 = Date.now();
    const writes = await writesDuring(() => headRetry({ backlog: 3 }).retry.handle(dueOf(ticket)));

    expect(writes).toEqual({ [`webhook.subscriptions/${P}`]: 1, [`webhook.failures/${P}`]: 1, [`webhook.retry.5m/${P}`]: 1 });
    expect(writeOrder()).toEqual(['webhook.subscriptions', 'webhook.failures', 'webhook.retry.5m']);
    expect(parts.catalogue.get(sub.id)?.state).toBe('paused');
    expect((await events(sub.id)).map((e) => [e.kind, e.retryCount, e.lastStatusCode])).toEqual([['paused', 8, 502]]);
    const [laneRecord] = await records('webhook.retry.5m', sub.id);
    const back = ticketIn(laneRecord as ReadRecord);
    expect(back.ticket).toEqual({ ...ticket, lastError: 'endpoint answered 502' });
    expect(back.dueAtMs).toBeGreaterThanOrEqual(t0 + 5 * minuteMs);
    expect(await seenByAnotherInstance(ticket)).toBe(false);
    expect((await parts.delivery.status(sub.id)).fields.currentTier).toBe('paused');
  });

  it.each(['paused', 'pending_verification'] as const)('a %s subscription: no request, the same ticket back on the shortest lane, not remembered', async (state) => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url, { state });
    const ticket = ticketFor(sub, { retryCount: 3 });
    const { retry } = headRetry();
    const t0 = Date.now();
    const writes = await writesDuring(() => retry.handle(dueOf(ticket)));
    const t1 = Date.now();

    expect(r.requests).toHaveLength(0);
    expect(writes).toEqual({ [`webhook.retry.5m/${P}`]: 1 });
    const [laneRecord] = await records('webhook.retry.5m', sub.id);
    const back = ticketIn(laneRecord as ReadRecord);
    expect(back.ticket).toEqual(ticket);
    expect(back.dueAtMs).toBeGreaterThanOrEqual(t0 + 5 * minuteMs);
    expect(back.dueAtMs).toBeLessThanOrEqual(t1 + 5 * minuteMs + 1);
    expect(await seenByAnotherInstance(ticket)).toBe(false);
    // Still waiting when it comes round again: put back again.
    expect(await writesDuring(() => retry.handle(dueOf(ticket)))).toEqual({ [`webhook.retry.5m/${P}`]: 1 });
  });

  it('a subscription deactivated while parked: no request, head audited and `closed` written, no second state change', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url, { state: 'deactivated' });
    const ticket = ticketFor(sub);
    const writes = await writesDuring(() => headRetry().retry.handle(dueOf(ticket)));

    expect(r.requests).toHaveLength(0);
    expect(writes).toEqual({ [`webhook.audit/${P}`]: 2, [`webhook.parked/${P}`]: 1 });
    const [closed] = await records('webhook.parked', sub.id);
    expect(parked(closed as ReadRecord)).toMatchObject({ kind: 'closed', action: 'deactivate', reason: 'deactivated: subscription deactivated while parked' });
    expect(await seenByAnotherInstance(ticket)).toBe(true);
  });

  it('a deleted subscription: the ticket is dropped with no request and no writes, and remembered', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url);
    await parts.remove(sub.id);
    const ticket = ticketFor(sub);
    expect(await writesDuring(() => headRetry().retry.handle(dueOf(ticket)))).toEqual({});
    expect(r.requests).toHaveLength(0);
    expect(await seenByAnotherInstance(ticket)).toBe(true);
  });

  it.each([
    { name: 'not JSON', value: Buffer.from('{not json'), reason: 'unreadable retry ticket: value is not JSON' },
    { name: 'another version', value: Buffer.from('{"v":2,"subscriptionId":"sub_x"}'), reason: 'unreadable retry ticket: not a version 1 retry ticket' },
    { name: 'no items', value: Buffer.from(JSON.stringify({ v: 1, subscriptionId: 's', episodeId: 'e', webhookId: 'w', lastError: '', retryCount: 1, firstFailureAtMs: 1, retryPolicy: 'standard-7d', lastStatusCode: null, items: [] })), reason: 'unreadable retry ticket: items: must be a non-empty list, got an empty array' },
    { name: 'an unknown policy', value: Buffer.from(JSON.stringify({ v: 1, subscriptionId: 's', episodeId: 'e', webhookId: 'w', lastError: '', retryCount: 1, firstFailureAtMs: 1, retryPolicy: 'forever', lastStatusCode: null, items: [{ deliveriesOffset: '1', value: 'x' }] })), reason: 'unreadable retry ticket: retryPolicy: must be one of standard-7d, pause-24h, disable-10m, got "forever"' },
    { name: 'a null value', value: null, reason: 'unreadable retry ticket: null value' },
  ])('an unreadable ticket ($name) goes to webhook.audit byte for byte with the reason, never dropped', async ({ value, reason }) => {
    const key = subscriptionIdOnPartition(P, webhookPartitions);
    const writes = await writesDuring(() => headRetry().retry.handle(dueRecord(value, key)));

    expect(writes).toEqual({ [`webhook.audit/${P}`]: 1 });
    const [audited] = await records('webhook.audit', key);
    expect(audited?.partition).toBe(P);
    expect(audited?.value?.toString('utf8') ?? '').toBe(value?.toString('utf8') ?? '');
    expect(audited?.headers['fleethook-audit-reason']?.toString()).toBe(reason);
    expect(audited?.headers['fleethook-deliveries-offset']?.toString()).toBe('0');
  });

  it('a ticket whose head items cannot be read: the items are audited, no request', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url);
    const ticket = ticketFor(sub, { items: [{ deliveriesOffset: '7', value: 'not a delivery item' }] });
    const writes = await writesDuring(() => headRetry().retry.handle(dueOf(ticket)));

    expect(r.requests).toHaveLength(0);
    expect(writes).toEqual({ [`webhook.audit/${P}`]: 1 });
    const [audited] = await records('webhook.audit', sub.id);
    expect(audited?.value?.toString('utf8')).toBe('not a delivery item');
    expect(audited?.headers['fleethook-audit-reason']?.toString()).toBe('unreadable head items');
  });

  it('a ticket another instance already handled (known from Redis only): no request, no writes', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url);
    const ticket = ticketFor(sub);
    await new HandledTickets(redis, prefix, parts.delivery.logger).remember(ticket);
    expect(await writesDuring(() => headRetry().retry.handle(dueOf(ticket)))).toEqual({});
    expect(r.requests).toHaveLength(0);
    // The same episode's next retry count is another ticket and is handled.
    expect(await writesDuring(() => headRetry().retry.handle(dueOf({ ...ticket, retryCount: 2 })))).toEqual({ [`webhook.failures/${P}`]: 1, [`webhook.parked/${P}`]: 1 });
    expect(r.requests).toHaveLength(1);
  });

  it('a ticket of an episode the owner knows has ended (episodeOver): dropped, no request, no writes, not remembered', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url);
    const ticket = ticketFor(sub);
    const { retry, episodeOverCalls } = headRetry({ episodeOver: true });
    expect(await writesDuring(() => retry.handle(dueOf(ticket)))).toEqual({});

    expect(r.requests).toHaveLength(0);
    expect(episodeOverCalls).toEqual([[P, sub.id, ticket.episodeId]]);
    expect(await seenByAnotherInstance(ticket)).toBe(false);
  });

  it('stopped (shutdown): handle rejects so the ticket is handed over again; nothing is written or remembered', async () => {
    const r = await endpoint(behaviours.ok());
    const sub = await parkedSubscription(r.url);
    const ticket = ticketFor(sub);
    const { retry, stop } = headRetry();
    stop.abort();
    const writes = await writesDuring(async () => {
      await expect(retry.handle(dueOf(ticket))).rejects.toThrow(/handed over again/);
    });

    expect(writes).toEqual({});
    expect(r.requests).toHaveLength(0);
    expect(await seenByAnotherInstance(ticket)).toBe(false);
  });
});
