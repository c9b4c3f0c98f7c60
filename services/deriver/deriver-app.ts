import type { GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { topicCatalogue, valueSubject } from '../../schemas/topics.js';
import { loadAvroSchema } from '../shared/avro-schema-files.js';
import { errorMessage } from '../shared/errors.js';
import type { BatchContext, FetchedBatch, KafkaClient, OutgoingRecord, TopicRecords } from '../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../shared/kafka/partitioned-consumer.js';
import { LandmarkRegistry } from '../shared/landmarks/landmark-registry.js';
import type { Logger } from '../shared/logger.js';
import { OpsServer } from '../shared/runtime/ops-server.js';
import type { SchemaRegistryClient } from '../shared/schema-registry-client.js';
import { SubscriptionCatalogue } from '../shared/subscriptions/subscription-catalogue.js';
import { TelemetryDecoder } from '../shared/telemetry/telemetry-decoder.js';
import { plausibleTimeWindow, telemetryValidators } from '../shared/telemetry/telemetry-rules.js';
import type { DeriverConfig } from './config.js';
import { deriveBatch } from './derive-batch.js';
import { createDeriverMetrics } from './deriver-metrics.js';
import { accountRules } from './rules/account-rules.js';
import { defaultTimings, noRules } from './rules/derive-params.js';
import type { AccountRules, DeriveParams, DeriveTimings } from './rules/derive-params.js';
import type { SourcePoint } from './rules/step-vehicle.js';
import { encodeVehicleState } from './rules/vehicle-state-codec.js';
import { VehicleStateStore } from './vehicle-state-store.js';
import { startVehicleStateStage } from './state/vehicle-state-stage.js';

export interface DeriverAppOptions {
  readonly config: DeriverConfig;
  readonly kafka: KafkaClient;
  readonly registry: SchemaRegistryClient;
  readonly logger: Logger;
  readonly defaultMetrics?: boolean;
  readonly timings?: DeriveTimings;
}

export interface DeriverApp {
  /** The ops listener's port (/metrics, /healthz, /readyz). */
  readonly port: number;
  ready(): boolean;
  close(): Promise<void>;
}

/** Pause reason of a GPS partition whose vehicle states are being restored. */
const restoring = 'restoring';
/** Pause reason of a changelog partition once restored: the deriver's own writes keep its memory current. */
const restored = 'restored';

/**
 * The deriver (DESIGN.md §8): one consumer in its own group reads `telemetry.gps` and the
 * co-partitioned changelog `deriver.vehicle-state`. Per GPS batch: decode and check the
 * points (a malformed one is counted and passed over), run the rules, write the events to
 * `telemetry.events` and the changed states to the changelog in one request of the
 * idempotent producer, keep the states, then commit the GPS offset. Landmarks and the
 * accounts' speed rules come from their compacted topics and apply live.
 */
export async function startDeriverApp(o: DeriverAppOptions): Promise<DeriverApp> {
  const { config, kafka, logger } = o;
  const topics = topicCatalogue({ prefix: config.topicPrefix });
  const gpsTopic = topics.get('telemetry.gps').name;
  const eventsSpec = topics.get('telemetry.events');
  const stateTopic = topics.get('deriver.vehicle-state').name;
  if (eventsSpec.value.format !== 'avro') throw new Error('telemetry.events is not an Avro topic');
  const timings = o.timings ?? defaultTimings;
  const metrics = createDeriverMetrics({ defaultMetrics: o.defaultMetrics ?? false });
  const validators = telemetryValidators(plausibleTimeWindow);
  const decoder = new TelemetryDecoder(o.registry, topics);
  const encoder = await o.registry.encoderFor<VehicleEvent>(valueSubject(eventsSpec.name), loadAvroSchema(eventsSpec.value.schemaFile), { autoRegister: config.autoRegisterSchemas });

  const landmarks = new LandmarkRegistry({ kafka, topic: topics.get('fleet.landmarks').name, logger, groupIdPrefix: `${config.groupId}-landmarks` });
  const catalogue = new SubscriptionCatalogue({ kafka, topic: topics.get('webhook.subscriptions').name, logger, groupIdPrefix: `${config.groupId}-subscriptions` });
  await Promise.all([landmarks.start(config.registryCatchUpMs), catalogue.start(config.registryCatchUpMs)]);
  let rules: Map<string, AccountRules> = accountRules(catalogue.list());
  catalogue.onChange(() => {
    rules = accountRules(catalogue.list());
  });
  const paramsOf = (accountId: string): DeriveParams => ({ rules: rules.get(accountId) ?? noRules, landmarks: landmarks.lookup(accountId), timings });

  const producer = kafka.producer();
  await producer.connect();
  /** Sends one after another: the idempotent producer never has two requests racing for a partition. */
  let sending: Promise<unknown> = Promise.resolve();
  const send = (request: readonly TopicRecords[]): Promise<void> => {
    const sent = sending.then(() => producer.sendBatch(request));
    sending = sent.catch(() => undefined);
    return sent.then(() => undefined);
  };

  const store = new VehicleStateStore(logger);

  const goLive = (partition: number, gpsFrom: string): void => {
    consumer.pause(stateTopic, [partition], restored);
    consumer.seek(gpsTopic, partition, gpsFrom);
    consumer.resume(gpsTopic, [partition], restoring);
    logger.info('vehicle states restored', { partition, vehicles: store.size });
  };

  /** Learns where each changelog partition ends and where GPS reading resumes; retried while the generation lasts. */
  const planRestore = async (generation: number, partitions: readonly number[]): Promise<void> => {
    for (;;) {
      try {
        const [changelog, gps] = await Promise.all([consumer.positions(stateTopic), consumer.positions(gpsTopic)]);
        if (store.generation !== generation) return;
        for (const p of partitions) {
          const c = changelog.find((w) => w.partition === p);
          const g = gps.find((w) => w.partition === p);
          if (c === undefined || g === undefined) throw new Error(`partition ${p} of ${stateTopic} or ${gpsTopic} is missing (are they co-partitioned?)`);
          const gpsFrom = (g.committed >= g.low ? g.committed : g.low).toString();
          gpsStart.set(p, gpsFrom);
          if (store.expect(p, c.low, c.high)) goLive(p, gpsFrom);
        }
        return;
      } catch (err) {
        if (store.generation !== generation || consumer.closed) return;
        logger.warn('could not plan the restore of vehicle states; retrying', { error: errorMessage(err) });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  const gpsStart = new Map<number, string>();

  const onChangelog = (batch: FetchedBatch, ctx: BatchContext): void => {
    ctx.resolveOffset(batch.lastOffset());
    if (!store.isRestoring(batch.partition)) return;
    if (store.applyChangelog(batch.partition, batch.messages, BigInt(batch.lastOffset()) + 1n)) {
      const from = gpsStart.get(batch.partition);
      if (from !== undefined) goLive(batch.partition, from);
    }
  };

  const onGps = async (batch: FetchedBatch, ctx: BatchContext): Promise<void> => {
    const partition = batch.partition;
    // Read before its states were restored (or for a past generation): read again once live.
    if (store.isRestoring(partition) || batch.messages.length === 0) return;
    const generation = store.generation;
    const decoded = await decoder.decodeAll('gps', batch.messages.map((m) => m.value));
    const points: SourcePoint[] = [];
    decoded.forEach((d, i) => {
      const offset = batch.messages[i]!.offset;
      const issues = d.kind === 'decoded' ? validators.gps(d.value, '') : [];
      if (d.kind === 'poison' || issues.length > 0) {
        metrics.points.inc({ outcome: 'malformed' });
        const reason = d.kind === 'poison' ? d.reason : issues.map((x) => `${x.field} ${x.message}`).join('; ');
        logger.warn('skipping malformed GPS record', { partition, offset, reason });
        return;
      }
      // The validator has checked every field the type promises.
      points.push({ point: d.value as GpsPoint, position: { partition, offset } });
    });
    const derived = deriveBatch(store.view(), points, paramsOf);
    for (const [outcome, n] of Object.entries(derived.outcomes)) if (n > 0) metrics.points.inc({ outcome }, n);
    const events = derived.events.filter((e) => {
      const issues = validators.event(e, '');
      if (issues.length === 0) return true;
      metrics.invalidEvents.inc();
      logger.error('dropping a derived event the telemetry rules refuse', { eventId: e.eventId, type: e.type, issues: issues.map((x) => `${x.field} ${x.message}`).join('; ') });
      return false;
    });
    const request: TopicRecords[] = [];
    if (events.length > 0) {
      const values = encoder.encodeMany(events);
      request.push({ topic: eventsSpec.name, messages: events.map((e, i): OutgoingRecord => ({ key: e.vehicleId, value: values[i]! })) });
    }
    if (derived.states.size > 0) {
      request.push({ topic: stateTopic, messages: [...derived.states.values()].map((s): OutgoingRecord => ({ key: s.vehicleId, value: encodeVehicleState(s), partition })) });
    }
    if (request.length > 0) await send(request);
    for (const e of events) metrics.events.inc({ type: e.type });
    if (store.generation === generation) store.keep(derived.states);
    ctx.resolveOffset(batch.lastOffset());
    try {
      await consumer.commit([{ topic: gpsTopic, partition, offset: BigInt(batch.lastOffset()) + 1n }]);
    } catch (err) {
      // The points are read again after the rebalance; the changelog says they were applied.
      logger.warn('could not commit GPS offsets', { partition, error: errorMessage(err) });
    }
  };

  const consumer: PartitionedConsumer = new PartitionedConsumer({
    client: kafka, name: 'derive', logger, watchTopics: [gpsTopic],
    settings: () => ({ groupId: config.groupId, sessionTimeoutMs: config.sessionTimeoutMs, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 500, assignment: 'co-partitioned' }),
    run: {
      topics: [gpsTopic, stateTopic], fromBeginning: true, partitionsConsumedConcurrently: config.partitionsConsumedConcurrently, autoCommit: null,
      handler: {
        kind: 'batch',
        eachBatch: async (batch, ctx) => {
          if (ctx.isStale()) return;
          if (batch.topic === stateTopic) onChangelog(batch, ctx);
          else await onGps(batch, ctx);
        },
      },
    },
    onAssigned: (assignment, generation) => {
      const partitions = assignment[gpsTopic] ?? [];
      store.begin(generation, partitions);
      gpsStart.clear();
      if (partitions.length > 0) consumer.pause(gpsTopic, partitions, restoring);
      logger.info('partitions assigned; restoring vehicle states', { generation, partitions });
      void planRestore(generation, partitions);
    },
  });

  // The latest state per vehicle (vehicle.state), in a group of its own: see state/vehicle-state-stage.ts.
  const stateStage = await startVehicleStateStage({
    kafka, topics, groupId: `${config.groupId}-state`, sessionTimeoutMs: config.sessionTimeoutMs, partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
    decoder, validators, send, metricsRegistry: metrics.registry, logger,
  });
  const ready = (): boolean => consumer.ready() && stateStage.ready() && landmarks.ready() && catalogue.ready();
  const ops = await OpsServer.start({
    registry: metrics.registry, host: config.host, port: config.port,
    health: () => ({ healthy: consumer.healthy() && stateStage.healthy(), ready: ready(), detail: { vehicles: store.size, generation: store.generation, snapshots: stateStage.vehicles } }),
  });
  await consumer.start();

  let closing: Promise<void> | undefined;
  return {
    port: ops.port,
    ready,
    close: () => {
      closing ??= (async () => {
        await Promise.all([consumer.close(), stateStage.close()]);
        await sending;
        await producer.disconnect().catch(() => undefined);
        await Promise.all([landmarks.close(), catalogue.close(), ops.close()]);
      })();
      return closing;
    },
  };
}
