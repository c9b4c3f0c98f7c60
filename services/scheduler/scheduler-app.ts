import { topicCatalogue } from '../../schemas/topics.js';
import { errorMessage } from '../shared/errors.js';
import type { KafkaClient, RecordProducer } from '../shared/kafka/kafka-port.js';
import type { Logger } from '../shared/logger.js';
import { OpsServer } from '../shared/runtime/ops-server.js';
import { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import type { StoredSubscription } from '../shared/subscriptions/subscription-types.js';
import { VehicleStateRegistry } from '../shared/vehicles/vehicle-state-registry.js';
import type { SchedulerConfig } from './config.js';
import { planSlot } from './plan-slot.js';
import { SchedulerLeadership } from './scheduler-leadership.js';
import { createSchedulerMetrics } from './scheduler-metrics.js';
import { SlotLedger } from './slot-ledger.js';
import { slotParts, slotWrites } from './slot-parts.js';
import { encodeSlotRecord } from './slot-record.js';

export interface SchedulerAppOptions {
  readonly config: SchedulerConfig;
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  readonly defaultMetrics?: boolean;
}

export interface SchedulerApp {
  readonly port: number;
  readonly active: boolean;
  close(): Promise<void>;
}

/**
 * The scheduler (issue 13): reads the subscription catalogue, `vehicle.state` and
 * `scheduler.slots` in every instance; the active one (see `SchedulerLeadership`) looks
 * for due slots every tick and, per slot, in this order: writes `claimed` to
 * `scheduler.slots`, writes the slot's parts to `webhook.deliveries` (origin = the claim),
 * writes `written`. A new active scheduler first reads `scheduler.slots` to its end; a slot
 * left `claimed` is written again under the same claim, so its copies are skipped by the
 * dispatcher and its webhook-ids (subscription + slot + part) are the same.
 */
export async function startSchedulerApp(o: SchedulerAppOptions): Promise<SchedulerApp> {
  const { config, kafka, logger } = o;
  const topics = topicCatalogue({ prefix: config.topicPrefix });
  const slotsTopic = topics.get('scheduler.slots').name;
  const deliveriesTopic = topics.get('webhook.deliveries').name;
  const metrics = createSchedulerMetrics({ defaultMetrics: o.defaultMetrics ?? false });
  const scheduleNow = (): number => Date.now() * config.timeScale;

  const catalogue = new SubscriptionCatalogue({ kafka, topic: topics.get('webhook.subscriptions').name, logger, groupIdPrefix: `${config.groupId}-subscriptions` });
  const states = new VehicleStateRegistry({ kafka, topic: topics.get('vehicle.state').name, logger, groupIdPrefix: `${config.groupId}-vehicle-state` });
  const ledger = new SlotLedger({ kafka, topic: slotsTopic, logger, groupIdPrefix: `${config.groupId}-slots` });
  await Promise.all([catalogue.start(config.registryCatchUpMs), states.start(config.registryCatchUpMs), ledger.start(config.registryCatchUpMs)]);

  const producer: RecordProducer = kafka.producer({ rememberKeyPartitions: true });
  await producer.connect();
  const leadership = new SchedulerLeadership({ kafka, topic: slotsTopic, groupId: config.groupId, sessionTimeoutMs: config.sessionTimeoutMs, logger });
  /** The term whose catch-up of `scheduler.slots` is done: slots are fired only then. */
  let caughtUpTerm: number | null = null;
  leadership.onActive((term) => {
    void (async () => {
      logger.debug('catching up before scheduling', { term });
      for (;;) {
        try {
          const step = (name: string, p: Promise<void>): Promise<void> => p.then(() => logger.debug('caught up with', { name }));
          await Promise.all([step('slots', ledger.catchUp(config.registryCatchUpMs)), step('catalogue', catalogue.catchUp(config.registryCatchUpMs)), step('states', states.catchUp(config.registryCatchUpMs))]);
          if (leadership.holds(term)) caughtUpTerm = term;
          logger.debug('caught up', { term, holds: leadership.holds(term) });
          return;
        } catch (err) {
          if (!leadership.holds(term)) return;
          logger.warn('cannot catch up before scheduling; retrying', { error: errorMessage(err) });
        }
      }
    })();
  });

  const writeSlot = async (sub: StoredSubscription, slotMs: number, claimOffset: string | null, term: number): Promise<void> => {
    let claim = claimOffset;
    logger.debug('slot due', { subscriptionId: sub.id, slot: new Date(slotMs).toISOString(), claimOffset });
    if (claim === null) {
      const [written] = await producer.send(slotsTopic, [{ key: sub.id, value: encodeSlotRecord({ subscriptionId: sub.id, slotMs, state: 'claimed' }), partition: 0 }]);
      if (written?.baseOffset === undefined) throw new Error('claim written without an offset');
      claim = written.baseOffset;
      ledger.note(sub.id, { slotMs, state: 'claimed', offset: claim });
    }
    if (!leadership.holds(term)) return;
    const parts = slotParts({ sub, snapshots: states.ofAccount(sub.accountId), slotMs, claimTopic: slotsTopic, claimOffset: claim, nowMs: Date.now() });
    for (const l of parts.leftOut) {
      // A vehicle's state is far below 1 MiB: a bug. The rest of the slot goes; the slot is not retried forever.
      logger.error('a vehicle item alone exceeds the 1 MiB request ceiling; left out of the slot', { subscriptionId: sub.id, vehicleId: l.vehicleId, bytes: l.bytes });
    }
    if (parts.records.length > 0) {
      for (const write of slotWrites(parts.records)) await producer.send(deliveriesTopic, write);
      metrics.parts.inc(parts.records.length);
    }
    if (!leadership.holds(term)) return;
    const [done] = await producer.send(slotsTopic, [{ key: sub.id, value: encodeSlotRecord({ subscriptionId: sub.id, slotMs, state: 'written', claimOffset: claim }), partition: 0 }]);
    ledger.note(sub.id, { slotMs, state: 'written', offset: done?.baseOffset ?? claim });
    metrics.slots.inc({ outcome: parts.leftOut.length > 0 ? 'too_large' : claimOffset === null ? 'written' : 'redone' });
    logger.debug('slot written', { subscriptionId: sub.id, slot: new Date(slotMs).toISOString(), parts: parts.records.length, redone: claimOffset !== null });
  };

  const tick = async (): Promise<void> => {
    const term = caughtUpTerm;
    if (term === null || !leadership.holds(term)) return;
    for (const sub of catalogue.list()) {
      if (sub.source.kind !== 'scheduled' || (sub.state !== 'active' && sub.state !== 'failing')) continue;
      // Slots of one subscription go one after another; a tick does every due one.
      for (let n = 0; n < 1_000 && leadership.holds(term); n++) {
        const plan = planSlot({
          cadence: sub.source.cadence, subscribedAtMs: Date.parse(sub.liveSince ?? sub.createdAt) * config.timeScale, last: ledger.get(sub.id),
          nowMs: scheduleNow(), lateRetryMs: config.lateRetryMs, maxLatenessMs: config.maxLatenessMs,
        });
        if (plan.kind === 'wait') break;
        await writeSlot(sub, plan.slotMs, plan.kind === 'redo' ? plan.claimOffset : null, term);
      }
    }
  };

  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(tick).catch((err: unknown) => logger.error('scheduling tick failed; retried next tick', { error: errorMessage(err) }));
  }, config.tickMs);
  await leadership.start();

  const ops = await OpsServer.start({
    registry: metrics.registry, host: config.host, port: config.port,
    health: () => {
      metrics.active.set(leadership.active ? 1 : 0);
      const ready = catalogue.ready() && states.ready() && ledger.ready();
      return { healthy: true, ready, detail: { active: leadership.active, vehicles: states.size } };
    },
  });

  return {
    port: ops.port,
    get active() {
      return leadership.active && caughtUpTerm !== null && leadership.holds(caughtUpTerm);
    },
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await leadership.close();
      await running;
      await producer.disconnect().catch(() => undefined);
      await Promise.all([catalogue.close(), states.close(), ledger.close(), ops.close()]);
    },
  };
}
