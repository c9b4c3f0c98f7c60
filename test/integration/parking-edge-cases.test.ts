import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { acceptedItems, bodyOf, failureEvents, range, sleep } from '../helpers/parking-checks.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import type { RecordedRequest } from '../helpers/webhook-receiver.js';


/** 7 days in about 16 s. */
const timeScale = 16_000 / (7 * 24 * 3_600_000);

describe('parking edge cases (real stack, 7 days in ~16 s)', () => {
  let h: DispatcherHarness;
  const receivers: WebhookReceiver[] = [];

  /**
   * An endpoint that answers 503 until `drain()`, then accepts `okInDrain` requests (the head
   * and the first drain requests), then fails again for 2.5 s, then accepts everything.
   */
  async function failingMidDrain(okInDrain: number): Promise<{ endpoint: WebhookReceiver; accepted: RecordedRequest[]; drain: () => void; acceptedInDrain: () => number }> {
    let phase: 'down' | 'draining' | 'down-again' | 'up' = 'down';
    let inDrain = 0;
    const accepted: RecordedRequest[] = [];
    const endpoint = await WebhookReceiver.start(behaviours.custom((req) => {
      if (phase === 'down' || phase === 'down-again') return { status: 503 };
      if (phase === 'draining' && ++inDrain > okInDrain) {
        phase = 'down-again';
        setTimeout(() => (phase = 'up'), 2_500);
        return { status: 503 };
      }
      accepted.push(req);
      return { status: 200 };
    }));
    receivers.push(endpoint);
    return { endpoint, accepted, drain: () => { phase = 'draining'; }, acceptedInDrain: () => inDrain };
  }

  beforeAll(async () => {
    // A drain that stands still for 1.5 s is reported (the last case; the others only log it, if ever).
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(timeScale), FLEETHOOK_DISPATCHER_DRAIN_STALL_WARN_MS: '1500' });
    await h.startInProcess();
  });
  afterAll(async () => {
    if (process.env.DEBUG_DISPATCHER) console.log(h.logLines.join('\n'));
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('a request failing during the drain becomes the new head; the rest of the backlog waits behind it and everything arrives in order', async () => {
    // The head and three backlog requests get through; then the endpoint fails again mid-drain for a while.
    const { endpoint, accepted, drain, acceptedInDrain } = await failingMidDrain(4);
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_redrain', batching: { maxItems: 5, maxWaitMs: 100 } });
    const app = h.apps[0];
    if (app === undefined) throw new Error('no dispatcher');
    const vehicles = ['veh_r1', 'veh_r2'];
    await h.publish({ gps: range(1, 30).flatMap((s) => vehicles.map((v) => gpsPoint(v, s, 'acc_redrain'))) });
    await waitFor(() => app.deliveries.parkedSubscriptions().get(sub.id) === 'parked', { timeoutMs: 20_000, what: 'parking' });
    await waitFor(() => app.deliveries.parkedSubscriptions().size > 0 && acceptedInDrain() === 0 && endpoint.requests.length >= 6, { timeoutMs: 20_000, what: 'tier retries' });
    drain();
    const items = await waitFor(() => {
      const got = acceptedItems(accepted);
      return got.length >= 60 && got;
    }, { timeoutMs: 60_000, what: 'all 60 items after the second failure' });
    for (const v of vehicles) expect(items.filter((d) => d.vehicleId === v).map((d) => d.seq)).toEqual(range(1, 30));
    await waitFor(() => !app.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 20_000, what: 'the second episode to end' });
    const kinds = (await failureEvents(h, sub.id)).map((e) => e.kind);
    // Two episodes: parked … recovered, parked again (the failed drain request), … recovered.
    expect(kinds.filter((k) => k === 'parked')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'recovered').length).toBeGreaterThanOrEqual(2);
    expect(kinds.at(-1)).toBe('recovered');
  }, 120_000);

  it('a request failing during the drain does not send again what the drain had delivered beyond its gap-free cursor', async () => {
    // Chaos seed 21: GPS drains go per vehicle, so with the vehicles' items interleaved in the backlog one vehicle's
    // request finishes above the cursor; when the next one fails, the new episode resumed from that cursor and sent it again.
    // The head and one backlog request (the first vehicle's) get through; the second vehicle's fails for a while.
    const { endpoint, accepted, drain } = await failingMidDrain(2);
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_interleaved', batching: { maxItems: 5, maxWaitMs: 50 } });
    const app = h.apps[0];
    if (app === undefined) throw new Error('no dispatcher');
    const vehicles = ['veh_i1', 'veh_i2'];
    // One point per vehicle at a time, each its own live batch: the backlog interleaves the vehicles.
    for (const seq of range(1, 12)) {
      await h.publish({ gps: vehicles.map((v) => gpsPoint(v, seq, 'acc_interleaved')) });
      await sleep(150);
    }
    await waitFor(() => app.deliveries.parkedSubscriptions().get(sub.id) === 'parked', { timeoutMs: 20_000, what: 'parking' });
    await waitFor(() => endpoint.requests.length >= 6, { timeoutMs: 20_000, what: 'tier retries' });
    drain();
    await waitFor(() => acceptedItems(accepted).length >= 24 && !app.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 60_000, what: 'all 24 items and the end of the second episode' });
    const ids = new Map<string, Set<string>>();
    for (const r of accepted) {
      for (const d of bodyOf(r).data) {
        const key = `${d.vehicleId}#${d.seq}`;
        ids.set(key, (ids.get(key) ?? new Set()).add(r.headers['webhook-id'] as string));
      }
    }
    expect([...ids].filter(([, set]) => set.size > 1).map(([k, set]) => `${k}: ${[...set].join(', ')}`)).toEqual([]);
    const items = acceptedItems(accepted);
    for (const v of vehicles) expect(items.filter((d) => d.vehicleId === v).map((d) => d.seq)).toEqual(range(1, 12));
    expect((await failureEvents(h, sub.id)).filter((e) => e.kind === 'parked')).toHaveLength(2);
  }, 120_000);

  it('a drain that stops moving is logged with what holds it (here a drain request the endpoint holds), and then finishes in order', async () => {
    let phase: 'down' | 'slow' | 'up' = 'down';
    const accepted: RecordedRequest[] = [];
    const endpoint = await WebhookReceiver.start(behaviours.custom(async (req) => {
      if (phase === 'down') return { status: 503 };
      if (phase === 'slow') await sleep(2_500);
      accepted.push(req);
      return { status: 200 };
    }));
    receivers.push(endpoint);
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_stall', batching: { maxItems: 5, maxWaitMs: 100 } });
    const app = h.apps[0];
    if (app === undefined) throw new Error('no dispatcher');
    await h.publish({ gps: range(1, 12).map((s) => gpsPoint('veh_s', s, 'acc_stall')) });
    await waitFor(() => app.deliveries.parkedSubscriptions().get(sub.id) === 'parked', { timeoutMs: 20_000, what: 'parking' });
    await waitFor(() => endpoint.requests.length >= 6, { timeoutMs: 20_000, what: 'tier retries' });
    phase = 'slow';
    const line = await waitFor(() => h.logLines.find((l) => l.includes('a backlog drain has not moved') && l.includes(sub.id)), { timeoutMs: 30_000, what: 'the stalled-drain warning' });
    const stalledDrains = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
      return Number(/^fleethook_dispatcher_stalled_drains (\S+)$/m.exec(text)?.[1] ?? NaN);
    };
    expect(await stalledDrains()).toBe(1);
    phase = 'up';
    const warning = JSON.parse(line) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 'warn', subscriptionId: sub.id, phase: 'draining', running: 'drain task', leftToNextOwner: false, pausedForBackPressure: false, scanning: false });
    expect(warning.stillForMs).toBeGreaterThanOrEqual(1_500);
    expect(warning.runningForMs).toBeGreaterThanOrEqual(1_000);
    expect(Number(warning.seenThrough)).toBeGreaterThan(Number(warning.cursor));
    await waitFor(() => acceptedItems(accepted).length >= 12 && !app.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 30_000, what: 'the drain to finish' });
    expect(acceptedItems(accepted).map((d) => d.seq)).toEqual(range(1, 12));
    await waitFor(async () => (await stalledDrains()) === 0, { timeoutMs: 5_000, what: 'the stalled-drains gauge back to 0' });
  }, 120_000);

  it('410 Gone deactivates at once: no quick or tier retries, head and backlog audited', async () => {
    const endpoint = await WebhookReceiver.start(behaviours.status(410, 'gone'));
    receivers.push(endpoint);
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_gone', batching: { maxItems: 5, maxWaitMs: 100 } });
    const app = h.apps[0];
    if (app === undefined) throw new Error('no dispatcher');
    await h.publish({ gps: range(1, 12).map((s) => gpsPoint('veh_g', s, 'acc_gone')) });
    await waitFor(() => app.catalogue.get(sub.id)?.state === 'deactivated', { timeoutMs: 20_000, what: 'deactivation' });
    await waitFor(() => !app.deliveries.parkedSubscriptions().has(sub.id), { timeoutMs: 20_000, what: 'the audit' });
    expect(endpoint.requests).toHaveLength(1);
    const audited = (await readTopic(h.kafka, h.topics.get('webhook.audit').name)).filter((r) => r.key === sub.id);
    expect(audited).toHaveLength(12);
    const events = await failureEvents(h, sub.id);
    expect(events.map((e) => e.kind)).toEqual(['deactivated']);
    expect(events[0]).toMatchObject({ lastStatusCode: 410, discarded: { items: 12 } });
  }, 60_000);

  it('Retry-After on 503 is honoured: the quick retries wait at least as long as asked', async () => {
    const endpoint = await WebhookReceiver.start(behaviours.status(503, 'busy', { 'retry-after': '2' }));
    receivers.push(endpoint);
    await h.subscribe({ url: endpoint.url, accountId: 'acc_later', batching: { maxItems: 5, maxWaitMs: 100 } });
    await h.publish({ gps: range(1, 3).map((s) => gpsPoint('veh_l', s, 'acc_later')) });
    const requests = await waitFor(() => endpoint.requests.length >= 3 && endpoint.requests, { timeoutMs: 30_000, what: 'three attempts' });
    for (let i = 1; i < 3; i++) {
      const gap = (requests[i]?.receivedAt ?? 0) - (requests[i - 1]?.receivedAt ?? 0);
      expect(gap).toBeGreaterThanOrEqual(1_950);
    }
  }, 60_000);
  it('parks and drains requests of large items: no request is bigger than a retry ticket or a parked write can carry', async () => {
    // 500 DTCs of ~4 KB each would make one 2 MB request: over the topics' 1 MiB record limit as a ticket.
    let up = false;
    const accepted: RecordedRequest[] = [];
    const endpoint = await WebhookReceiver.start(behaviours.custom((req) => {
      if (!up) return { status: 500 };
      accepted.push(req);
      return { status: 200 };
    }));
    receivers.push(endpoint);
    const sub = await h.subscribe({ url: endpoint.url, accountId: 'acc_large', source: { kind: 'dtc' }, batching: { maxItems: 500, maxWaitMs: 1_000 } });
    const description = 'x'.repeat(4_000);
    const dtcs = range(1, 500).map((seq) => ({
      vehicleId: `veh_l${seq % 5}`, accountId: 'acc_large', time: Date.now(), code: 'P0300', source: 'OBD_II' as const, status: 'active' as const, description, seq,
    }));
    await h.publish({ dtc: dtcs });
    await waitFor(async () => (await failureEvents(h, sub.id)).some((e) => e.kind === 'parked'), { timeoutMs: 30_000, intervalMs: 500, what: 'the parked event' });
    up = true;
    const got = await waitFor(() => {
      const items = acceptedItems(accepted);
      return items.length >= 500 && items;
    }, { timeoutMs: 60_000, what: '500 large items' });
    // DTC items keep the order of their deliveries partition; the five vehicles come from different telemetry partitions.
    expect(got.map((d) => d.seq).sort((a, b) => a - b)).toEqual(range(1, 500));
    for (let v = 0; v < 5; v++) expect(got.filter((d) => d.vehicleId === `veh_l${v}`).map((d) => d.seq)).toEqual(range(1, 500).filter((seq) => seq % 5 === v));
    for (const r of accepted) expect(r.body.length).toBeLessThan(1_000_000);
  }, 120_000);
});
