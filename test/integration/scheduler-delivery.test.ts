import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/scheduler/config.js';
import { startSchedulerApp } from '../../services/scheduler/scheduler-app.js';
import type { SchedulerApp } from '../../services/scheduler/scheduler-app.js';
import { slotParts } from '../../services/scheduler/slot-parts.js';
import { decodeSlotRecord, encodeSlotRecord } from '../../services/scheduler/slot-record.js';
import type { SlotRecord } from '../../services/scheduler/slot-record.js';
import { reliableProducerConfig, kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';
import { createLogger } from '../../services/shared/logger.js';
import { firstSlot, scheduledWebhookId } from '../../services/shared/schedule/cadence-slots.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import { encodeVehicleSnapshot } from '../../services/shared/vehicles/vehicle-snapshot-codec.js';
import type { VehicleSnapshot } from '../../services/shared/vehicles/vehicle-snapshot.js';
import { verifySignature } from '../../services/shared/webhook-signature.js';
import { DispatcherHarness } from '../helpers/dispatcher-harness.js';
import { readTopic } from '../helpers/topic-reader.js';
import { uniqueName } from '../helpers/stack-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';

// One stack set-up for the file: the harness's topics, one in-process dispatcher, one receiver,
// vehicle states written straight to vehicle.state, and schedulers in one group at time scale 30
// (a 1-minute cadence fires every 2 s; the 15-minute late step is 30 s).
const scale = 30;
const minute = 60_000;
let h: DispatcherHarness;
let receiver: WebhookReceiver;
let producer: Producer;
const schedulerEnv = (): Record<string, string> => ({
  ...h.env, FLEETHOOK_SCHEDULER_GROUP_ID: groupId, FLEETHOOK_SCHEDULER_PORT: '0', FLEETHOOK_SCHEDULER_HOST: '127.0.0.1',
  FLEETHOOK_SCHEDULER_TIME_SCALE: String(scale), FLEETHOOK_SCHEDULER_TICK_MS: '100', FLEETHOOK_SCHEDULER_SESSION_TIMEOUT_MS: '6000',
  FLEETHOOK_SCHEDULER_LOG_LEVEL: 'warn',
});
const groupId = uniqueName('scheduler');
const apps: SchedulerApp[] = [];
const children: ChildProcess[] = [];
const log: string[] = [];

async function startInProcess(): Promise<SchedulerApp> {
  const logger = createLogger('scheduler', { level: (process.env.DEBUG_SCHEDULER_LEVEL ?? 'warn') as 'debug' | 'warn', write: (l) => log.push(l) });
  const app = await startSchedulerApp({ config: loadConfig(schedulerEnv()), kafka: kafkaClientOf(h.kafka), logger });
  apps.push(app);
  return app;
}

interface Child {
  readonly child: ChildProcess;
  readonly port: number;
}

async function startChild(): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/scheduler/main.ts'], { env: { ...process.env, ...schedulerEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString('utf8')));
  const port = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`scheduler exited: ${out.join('')}`);
    const m = /"msg":"scheduler ready","port":(\d+)/.exec(out.join(''));
    return m ? Number(m[1]) : undefined;
  }, { timeoutMs: 60_000, what: 'scheduler child ready' });
  return { child, port };
}

/** Whether a scheduler process says it is the active one (its /readyz detail). */
async function isActive(c: Child): Promise<boolean> {
  const reply = await fetch(`http://127.0.0.1:${c.port}/readyz`);
  return ((await reply.json()) as { active?: boolean }).active === true;
}

const snapshot = (vehicleId: string, accountId: string, speedKmh: number): VehicleSnapshot => ({
  version: 1, vehicleId, accountId, mode: 'live', time: Date.now() - 5_000,
  gps: { time: Date.now() - 5_000, lat: 52.5, lon: 13.4, speedKmh, headingDeg: 90, odometerKm: 1_609.344, ignition: true },
  activeDtcs: [], lastEventTimes: {}, applied: { partition: 0, gps: '1', dtc: null, events: null },
});
const states = [snapshot('veh_a', 'acc_alpha', 100), snapshot('veh_b', 'acc_alpha', 50), snapshot('veh_c', 'acc_alpha', 10), snapshot('veh_x', 'acc_beta', 80)];

const scheduledSpec = (createdAtMs: number): Partial<Subscription> & { url: string } => ({
  url: receiver.url, source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 1 }, fields: ['location', 'speed', 'odometer'], units: 'imperial', maxRequestBytes: 393_216 },
  vehicleFilter: { vehicleIds: ['veh_a', 'veh_b', 'veh_x'] }, retryPolicy: 'disable-10m', createdAt: new Date(createdAtMs).toISOString(),
});

const requestsOf = (subId: string) => receiver.requests.filter((r) => (JSON.parse(r.text) as { subscriptionId: string }).subscriptionId === subId);

/** The slots claimed for a subscription, each once (its `written` record if there is one), in order. */
async function slotsOf(subId: string): Promise<SlotRecord[]> {
  const records = await readTopic(h.kafka, h.topics.get('scheduler.slots').name);
  const bySlot = new Map<number, SlotRecord>();
  for (const r of records) {
    const d = r.value === null ? null : decodeSlotRecord(r.value);
    if (d?.kind === 'record' && d.record.subscriptionId === subId) bySlot.set(d.record.slotMs, d.record);
  }
  return [...bySlot.values()];
}

/**
 * The first `upTo` slots (the written ones) arrived exactly once under their derived webhook-ids,
 * nothing else arrived (a last slot only claimed when its scheduler stopped may have: once), and no
 * slot was skipped.
 */
function expectEachSlotOnce(sub: Subscription, slots: readonly SlotRecord[], upTo: number, requests = requestsOf(sub.id)): void {
  const ids = requests.map((r) => r.headers['webhook-id']);
  const expected = slots.map((s) => scheduledWebhookId(sub.id, s.slotMs, 0));
  for (const id of expected.slice(0, upTo)) expect(ids.filter((i) => i === id), id).toHaveLength(1);
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(expected).toContain(id);
  const times = slots.map((s) => s.slotMs);
  expect(new Set(times).size).toBe(times.length);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(minute);
}

beforeAll(async () => {
  h = await DispatcherHarness.create();
  receiver = await WebhookReceiver.start();
  producer = h.kafka.producer(reliableProducerConfig);
  await producer.connect();
  await producer.send({ topic: h.topics.get('vehicle.state').name, acks: -1, messages: states.map((s) => ({ key: s.vehicleId, value: encodeVehicleSnapshot(s) })) });
  await h.startInProcess();
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(apps.map((a) => a.close()));
  await producer?.disconnect();
  await receiver?.close();
  await h?.close();
}, 60_000);

describe('scheduler: scheduled webhooks through the dispatcher', () => {
  let sub: Subscription;

  it('a 1-minute cadence delivers each slot once, from the first boundary after subscribing, with the chosen fields in imperial units, signed', async () => {
    const active = await startInProcess();
    sub = await h.subscribe(scheduledSpec(Date.now()));
    await waitFor(() => requestsOf(sub.id).length >= 3, { timeoutMs: 60_000, what: `3 scheduled requests (${log.slice(-8).join(' | ')})` });
    expect(active.active).toBe(true);
    const seen = requestsOf(sub.id);
    const slots = await slotsOf(sub.id);
    expect(slots[0]?.slotMs).toBe(firstSlot({ every: 'minutes', minutes: 1 }, Date.parse(sub.createdAt) * scale));
    expectEachSlotOnce(sub, slots, 3, seen);
    for (const r of seen) {
      const signed = { id: r.headers['webhook-id'], timestamp: r.headers['webhook-timestamp'], signature: r.headers['webhook-signature'] };
      expect(verifySignature([sub.signing.current], signed, r.text).kind).toBe('valid');
      const body = JSON.parse(r.text) as { type: string; eventName: string; mode: string; data: Record<string, unknown>[] };
      expect(body).toMatchObject({ type: 'scheduled', eventName: 'scheduled', mode: 'live' });
      // The filter's vehicles of the account with a known state, by id: veh_x is another account's, veh_c is not in the filter.
      expect(body.data.map((d) => d.vehicleId)).toEqual(['veh_a', 'veh_b']);
      expect(body.data[0]).toEqual({ vehicleId: 'veh_a', accountId: 'acc_alpha', mode: 'live', time: new Date(states[0]!.time).toISOString(), location: { lat: 52.5, lon: 13.4, time: new Date(states[0]!.gps!.time).toISOString() }, speedMph: 62.1, odometerMi: 1_000 });
      // At or after its boundary (schedule time).
      const slot = slots.find((s) => scheduledWebhookId(sub.id, s.slotMs, 0) === r.headers['webhook-id']);
      expect(r.receivedAt * scale).toBeGreaterThanOrEqual(slot!.slotMs);
    }
  }, 90_000);

  it('a second instance stands by without doubling slots; SIGKILLing the active one hands over without losing or repeating a slot', async () => {
    // Two scheduler processes in the group instead of the in-process one.
    await apps.shift()!.close();
    const pair = [await startChild(), await startChild()];
    const before = requestsOf(sub.id).length;
    await waitFor(() => requestsOf(sub.id).length >= before + 3, { timeoutMs: 60_000, what: 'slots with two schedulers' });
    const states = await Promise.all(pair.map(isActive));
    expect(states.filter(Boolean)).toHaveLength(1);
    const [active, standby] = states[0] ? [pair[0]!, pair[1]!] : [pair[1]!, pair[0]!];
    active.child.kill('SIGKILL');
    const killedAt = requestsOf(sub.id).length;
    await waitFor(() => isActive(standby), { timeoutMs: 30_000, what: 'the standby to take over' });
    await waitFor(() => requestsOf(sub.id).length >= killedAt + 3, { timeoutMs: 60_000, what: 'slots after the take-over' });
    standby.child.kill('SIGKILL');
    // What was written, arrived once; a slot claimed by the killed one (if any) was redone, not skipped.
    const slots = await slotsOf(sub.id);
    const written = slots.filter((x) => x.state === 'written').length;
    await waitFor(() => requestsOf(sub.id).length >= written, { timeoutMs: 20_000, what: 'every written slot delivered' });
    expectEachSlotOnce(sub, slots, written);
  }, 180_000);

  it('a slot a killed scheduler left claimed, its part already written, is written again under the same claim: delivered once, same webhook-id', async () => {
    const sub2 = await h.subscribe(scheduledSpec(Date.now() - 10_000));
    // What a scheduler killed between its parts and `written` leaves: a claim and the part (no scheduler runs now).
    const slotMs = firstSlot({ every: 'minutes', minutes: 1 }, Date.parse(sub2.createdAt) * scale);
    const slotsTopic = h.topics.get('scheduler.slots').name;
    const [claim] = await producer.send({ topic: slotsTopic, acks: -1, messages: [{ key: sub2.id, value: encodeSlotRecord({ subscriptionId: sub2.id, slotMs, state: 'claimed' }), partition: 0 }] });
    const parts = slotParts({ sub: sub2, snapshots: states, slotMs, claimTopic: slotsTopic, claimOffset: claim!.baseOffset!, nowMs: Date.now() });
    await producer.send({ topic: h.topics.get('webhook.deliveries').name, acks: -1, messages: parts.records.map((r) => ({ key: sub2.id, value: r.value as Buffer })) });
    const id = scheduledWebhookId(sub2.id, slotMs, 0);
    await waitFor(() => requestsOf(sub2.id).some((r) => r.headers['webhook-id'] === id), { what: 'the first copy delivered' });

    const app = await startInProcess();
    await waitFor(() => requestsOf(sub2.id).length >= 3, { timeoutMs: 60_000, what: 'the next slots' });
    await app.close();
    const slots = await slotsOf(sub2.id);
    const written = slots.filter((x) => x.state === 'written').length;
    await waitFor(() => requestsOf(sub2.id).length >= written, { timeoutMs: 20_000, what: 'every written slot delivered' });
    expect(slots[0]).toEqual({ subscriptionId: sub2.id, slotMs, state: 'written', claimOffset: claim!.baseOffset });
    expectEachSlotOnce(sub2, slots, written);
    expect(requestsOf(sub2.id).filter((r) => r.headers['webhook-id'] === id)).toHaveLength(1);
  }, 120_000);

  it('a failing endpoint: the slot is retried under its webhook-id, later slots follow in order, each delivered once', async () => {
    let failures = 0;
    const ok = new Map<string, number>();
    receiver.behave(behaviours.custom((req) => {
      if (!req.path.endsWith('/down')) return { status: 200 };
      if (failures < 2) {
        failures++;
        return { status: 503 };
      }
      const id = req.headers['webhook-id'] ?? '';
      ok.set(id, (ok.get(id) ?? 0) + 1);
      return { status: 200 };
    }));
    const sub3 = await h.subscribe({ ...scheduledSpec(Date.now()), url: `${receiver.url}/down` });
    const app = await startInProcess();
    await waitFor(() => ok.size >= 3, { timeoutMs: 60_000, what: '3 slots delivered after the failures' });
    await app.close();
    receiver.behave(behaviours.ok());
    const sent = requestsOf(sub3.id).map((r) => r.headers['webhook-id']);
    // The first slot: its 2 failed attempts and its delivery, one webhook-id.
    expect(new Set(sent.slice(0, 3)).size).toBe(1);
    const ids = (await slotsOf(sub3.id)).map((x) => scheduledWebhookId(sub3.id, x.slotMs, 0));
    const delivered = [...ok.keys()];
    expect(delivered).toEqual(ids.slice(0, delivered.length));
    for (const n of ok.values()) expect(n).toBe(1);
  }, 90_000);

  it('paused for several slots and resumed: no slot from while it was off is sent; the next is the first boundary after the resume', async () => {
    const app = await startInProcess();
    const sub4 = await h.subscribe(scheduledSpec(Date.now()));
    await waitFor(() => requestsOf(sub4.id).length >= 1, { timeoutMs: 60_000, what: 'a first slot' });
    await h.put({ ...sub4, state: 'paused', revision: sub4.revision + 1 });
    const pausedSlots = (await slotsOf(sub4.id)).length;
    // About 4 slots fall due while paused (a slot every 2 s at time scale 30).
    await new Promise((r) => setTimeout(r, 8_000));
    const resumedAt = new Date();
    await h.put({ ...sub4, state: 'active', liveSince: resumedAt.toISOString(), revision: sub4.revision + 2 });
    await waitFor(async () => (await slotsOf(sub4.id)).length >= pausedSlots + 2, { timeoutMs: 30_000, what: 'two slots after the resume' });
    await app.close();
    const slots = await slotsOf(sub4.id);
    const after = slots.slice(pausedSlots);
    // The first slot after the resume is its first boundary; nothing in between the pause and the resume.
    expect(after[0]?.slotMs).toBe(firstSlot({ every: 'minutes', minutes: 1 }, resumedAt.getTime() * scale));
    const gap = (after[0]!.slotMs - slots[pausedSlots - 1]!.slotMs) / minute;
    expect(gap, 'slots skipped while paused').toBeGreaterThanOrEqual(3);
    for (let i = 1; i < after.length; i++) expect(after[i]!.slotMs - after[i - 1]!.slotMs).toBe(minute);
  }, 90_000);
});
