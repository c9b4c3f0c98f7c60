import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import type { TopicCatalogue } from '../../../schemas/topics.js';
import { errorMessage } from '../../shared/errors.js';
import type { BatchContext, FetchedBatch, KafkaClient, RecordProducer } from '../../shared/kafka/kafka-port.js';
import { PartitionedConsumer } from '../../shared/kafka/partitioned-consumer.js';
import { KeyedSerialQueue } from '../../shared/keyed-serial-queue.js';
import type { Logger } from '../../shared/logger.js';
import type { TelemetryDecoder, TelemetryKind } from '../../shared/telemetry/telemetry-decoder.js';
import type { TelemetryValidators } from '../../shared/telemetry/telemetry-rules.js';
import { encodeVehicleSnapshot } from '../../shared/vehicles/vehicle-snapshot-codec.js';
import { applyTelemetryBatch } from './apply-telemetry.js';
import type { TelemetryInput } from './apply-telemetry.js';
import { SnapshotStore } from './snapshot-store.js';

export interface VehicleStateStageOptions {
  readonly kafka: KafkaClient;
  readonly topics: TopicCatalogue;
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly decoder: TelemetryDecoder;
  readonly validators: TelemetryValidators;
  /** Sends one request at a time (the deriver's chained sender): `vehicle.state` writes never race another batch's. */
  readonly send: (request: Parameters<RecordProducer['sendBatch']>[0]) => Promise<void>;
  readonly metricsRegistry: Registry;
  readonly logger: Logger;
}

export interface VehicleStateStage {
  ready(): boolean;
  healthy(): boolean;
  readonly vehicles: number;
  close(): Promise<void>;
}

const restoring = 'restoring';
const restored = 'restored';
const inputIds: Readonly<Record<string, TelemetryKind>> = { 'telemetry.gps': 'gps', 'telemetry.dtc': 'dtc', 'telemetry.events': 'event' };

/**
 * The state stage (issue 13): the latest state of each vehicle, materialised on the
 * compacted `vehicle.state` from `telemetry.gps`, `telemetry.dtc` and `telemetry.events`.
 * One consumer in its own group reads the three and `vehicle.state` with the
 * co-partitioned assignment (all four are keyed by vehicle in the telemetry partition
 * group, so a vehicle's records and snapshot share a partition number). Batches of one
 * partition number run one at a time (whatever their topic): apply, write the changed
 * snapshots, keep them, commit the batch's offset. A crash between the write and the
 * commit re-reads records the snapshots' offsets mark as applied (`replayed`).
 */
export async function startVehicleStateStage(o: VehicleStateStageOptions): Promise<VehicleStateStage> {
  const { logger } = o;
  const stateTopic = o.topics.get('vehicle.state').name;
  const kindOf = new Map(Object.entries(inputIds).map(([id, kind]) => [o.topics.get(id).name, kind]));
  const inputs = [...kindOf.keys()];
  const records = new Counter({
    name: 'fleethook_deriver_state_records_total', help: 'Telemetry records read by the state stage, by kind and outcome',
    labelNames: ['kind', 'outcome'], registers: [o.metricsRegistry],
  });
  const store = new SnapshotStore(logger);
  const lanes = new KeyedSerialQueue<number>();
  const inputStart = new Map<string, string>();
  const startKey = (topic: string, partition: number): string => `${topic}/${partition}`;

  const goLive = (partition: number): void => {
    consumer.pause(stateTopic, [partition], restored);
    for (const topic of inputs) {
      const from = inputStart.get(startKey(topic, partition));
      if (from !== undefined) consumer.seek(topic, partition, from);
    }
    for (const topic of inputs) consumer.resume(topic, [partition], restoring);
    logger.info('vehicle snapshots restored', { partition, vehicles: store.size });
  };

  const planRestore = async (generation: number, partitions: readonly number[]): Promise<void> => {
    for (;;) {
      try {
        const [changelog, ...starts] = await Promise.all([consumer.positions(stateTopic), ...inputs.map((t) => consumer.positions(t))]);
        if (store.generation !== generation) return;
        for (const p of partitions) {
          inputs.forEach((topic, i) => {
            const w = starts[i]?.find((x) => x.partition === p);
            if (w === undefined) throw new Error(`partition ${p} of ${topic} is missing (is it co-partitioned with ${stateTopic}?)`);
            inputStart.set(startKey(topic, p), (w.committed >= w.low ? w.committed : w.low).toString());
          });
          const c = changelog.find((w) => w.partition === p);
          if (c === undefined) throw new Error(`partition ${p} of ${stateTopic} is missing`);
          if (store.expect(p, c.low, c.high)) goLive(p);
        }
        return;
      } catch (err) {
        if (store.generation !== generation || consumer.closed) return;
        logger.warn('could not plan the restore of vehicle snapshots; retrying', { error: errorMessage(err) });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };

  const onChangelog = (batch: FetchedBatch, ctx: BatchContext): void => {
    ctx.resolveOffset(batch.lastOffset());
    if (!store.isRestoring(batch.partition)) return;
    if (store.applyChangelog(batch.partition, batch.messages, BigInt(batch.lastOffset()) + 1n)) goLive(batch.partition);
  };

  const onTelemetry = async (batch: FetchedBatch, kind: TelemetryKind, ctx: BatchContext): Promise<void> => {
    const { partition, topic } = batch;
    if (store.isRestoring(partition) || batch.messages.length === 0 || ctx.isStale()) return;
    const generation = store.generation;
    const decoded = await o.decoder.decodeAll(kind, batch.messages.map((m) => m.value));
    const batchInputs: TelemetryInput[] = [];
    decoded.forEach((d, i) => {
      const offset = batch.messages[i]!.offset;
      const issues = d.kind === 'decoded' ? o.validators[kind](d.value, '') : [];
      if (d.kind === 'poison' || issues.length > 0) {
        records.inc({ kind, outcome: 'malformed' });
        const reason = d.kind === 'poison' ? d.reason : issues.map((x) => `${x.field} ${x.message}`).join('; ');
        logger.warn('state stage skipping a malformed record', { topic, partition, offset, reason });
        return;
      }
      // The validator has checked every field the types promise.
      if (kind === 'gps') batchInputs.push({ kind, record: d.value as GpsPoint, partition, offset });
      else if (kind === 'dtc') batchInputs.push({ kind, record: d.value as Dtc, partition, offset });
      else batchInputs.push({ kind, record: d.value as VehicleEvent, partition, offset });
    });
    const applied = applyTelemetryBatch(store.view(), batchInputs);
    for (const [outcome, n] of Object.entries(applied.outcomes)) if (n > 0) records.inc({ kind, outcome }, n);
    if (applied.snapshots.size > 0) {
      await o.send([{ topic: stateTopic, messages: [...applied.snapshots.values()].map((s) => ({ key: s.vehicleId, value: encodeVehicleSnapshot(s), partition })) }]);
    }
    if (store.generation === generation) store.keep(applied.snapshots);
    ctx.resolveOffset(batch.lastOffset());
    try {
      await consumer.commit([{ topic, partition, offset: BigInt(batch.lastOffset()) + 1n }]);
    } catch (err) {
      logger.warn('could not commit telemetry offsets (state stage)', { topic, partition, error: errorMessage(err) });
    }
  };

  const consumer: PartitionedConsumer = new PartitionedConsumer({
    client: o.kafka, name: 'vehicle-state', logger, watchTopics: inputs,
    settings: () => ({ groupId: o.groupId, sessionTimeoutMs: o.sessionTimeoutMs, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 500, assignment: 'co-partitioned' }),
    run: {
      topics: [...inputs, stateTopic], fromBeginning: true, partitionsConsumedConcurrently: o.partitionsConsumedConcurrently, autoCommit: null,
      handler: {
        kind: 'batch',
        eachBatch: async (batch, ctx) => {
          if (ctx.isStale()) return;
          if (batch.topic === stateTopic) return onChangelog(batch, ctx);
          const kind = kindOf.get(batch.topic);
          // One partition number at a time: a GPS and a DTC batch of the same vehicles never race for their snapshots.
          if (kind !== undefined) await lanes.run(batch.partition, () => onTelemetry(batch, kind, ctx));
        },
      },
    },
    onAssigned: (assignment, generation) => {
      const partitions = assignment[stateTopic] ?? [];
      store.begin(generation, partitions);
      inputStart.clear();
      if (partitions.length > 0) for (const topic of inputs) consumer.pause(topic, partitions, restoring);
      logger.info('state stage partitions assigned; restoring vehicle snapshots', { generation, partitions });
      void planRestore(generation, partitions);
    },
  });
  await consumer.start();

  let closing: Promise<void> | undefined;
  return {
    ready: () => consumer.ready(),
    healthy: () => consumer.healthy(),
    get vehicles() {
      return store.size;
    },
    close: () => (closing ??= consumer.close()),
  };
}
