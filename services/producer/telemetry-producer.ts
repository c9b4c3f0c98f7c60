import type { KafkaClient, OutgoingRecord, RecordProducer, TopicRecords } from '../shared/kafka/kafka-port.js';
import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import { valueSubject } from '../../schemas/topics.js';
import type { TopicCatalogue } from '../../schemas/topics.js';
import { loadAvroSchema } from '../shared/avro-schema-files.js';
import { FleethookError, ValidationError } from '../shared/errors.js';
import type { FieldIssue } from '../shared/errors.js';
import type { AvroEncoder, SchemaRegistryClient } from '../shared/schema-registry-client.js';
import type { Compression } from './config.js';
import { splitIntoRequests } from './split-into-requests.js';
import { validateBatch, validateDtc, validateGpsPoint, validateVehicleEvent } from './telemetry-validator.js';
import type { RecordValidator } from './telemetry-validator.js';

export interface TelemetryBatch {
  readonly gps?: readonly GpsPoint[];
  readonly dtc?: readonly Dtc[];
  readonly events?: readonly VehicleEvent[];
}

export interface PublishResult {
  readonly records: number;
  /** Encoded value bytes (Confluent header + Avro body), before Kafka framing or compression. */
  readonly valueBytes: number;
}

/** Well under the broker's default message.max.bytes (1 MiB) even with Kafka's framing. */
export const defaultMaxRequestBytes = 256 * 1_024;

const kinds = {
  gps: { topicId: 'telemetry.gps', validate: validateGpsPoint },
  dtc: { topicId: 'telemetry.dtc', validate: validateDtc },
  events: { topicId: 'telemetry.events', validate: validateVehicleEvent },
} as const satisfies Record<keyof TelemetryBatch, { topicId: string; validate: RecordValidator }>;
type Kind = keyof typeof kinds;
const kindNames = Object.keys(kinds) as Kind[];

/**
 * Typed publishing of telemetry: validate every record, encode with the registered Avro
 * schema (Confluent wire format), key by vehicleId, send with the idempotent acks=all
 * producer. A batch with any invalid record is rejected whole, before anything is sent.
 * Sends are chained one after another so the idempotent producer never has two
 * requests racing for one partition's sequence numbers.
 */
export class TelemetryProducer {
  private readonly producer: RecordProducer;
  private encoders: Record<Kind, AvroEncoder<unknown>> | undefined;
  private sending: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    kafka: KafkaClient,
    private readonly registry: SchemaRegistryClient,
    private readonly catalogue: TopicCatalogue,
    private readonly options: { compression: Compression; autoRegisterSchemas: boolean; maxRequestBytes?: number },
  ) {
    this.producer = kafka.producer();
  }

  /** Connects to Kafka and resolves (or registers) the three value schemas. */
  async connect(): Promise<void> {
    const entries = await Promise.all(
      kindNames.map(async (kind) => {
        const spec = this.catalogue.get(kinds[kind].topicId);
        if (spec.value.format !== 'avro') throw new Error(`${spec.id} is not an Avro topic`);
        const schema = loadAvroSchema(spec.value.schemaFile);
        const encoder = await this.registry.encoderFor<unknown>(valueSubject(spec.name), schema, {
          autoRegister: this.options.autoRegisterSchemas,
        });
        return [kind, encoder] as const;
      }),
    );
    this.encoders = Object.fromEntries(entries) as Record<Kind, AvroEncoder<unknown>>;
    await this.producer.connect();
  }

  publishGps(points: readonly GpsPoint[]): Promise<PublishResult> {
    return this.publish({ gps: points });
  }

  publishDtc(dtcs: readonly Dtc[]): Promise<PublishResult> {
    return this.publish({ dtc: dtcs });
  }

  publishEvents(events: readonly VehicleEvent[]): Promise<PublishResult> {
    return this.publish({ events });
  }

  /** Publishes records of several kinds in one request; all or nothing on validation. */
  async publish(batch: TelemetryBatch): Promise<PublishResult> {
    const encoders = this.encoders;
    if (this.closing !== undefined) throw new FleethookError('PRODUCER_CLOSED', 'the producer is closed');
    if (encoders === undefined) throw new FleethookError('PRODUCER_NOT_CONNECTED', 'call connect() before publishing');
    const issues: FieldIssue[] = [];
    for (const kind of kindNames) {
      const values = batch[kind];
      if (values !== undefined) issues.push(...validateBatch(asList(values, kind), kinds[kind].validate, kind));
    }
    if (issues.length > 0) throw new ValidationError(issues);
    let valueBytes = 0;
    let records = 0;
    const perTopic: { topic: string; messages: OutgoingRecord[] }[] = [];
    for (const kind of kindNames) {
      const values = batch[kind];
      if (values === undefined || values.length === 0) continue;
      const messages = encodeAll(values, encoders[kind]);
      for (const m of messages) valueBytes += (m.value as Buffer).length;
      records += messages.length;
      perTopic.push({ topic: this.catalogue.get(kinds[kind].topicId).name, messages });
    }
    const requests = splitIntoRequests(perTopic, this.options.maxRequestBytes ?? defaultMaxRequestBytes);
    if (requests.length > 0) await this.send(requests);
    return { records, valueBytes };
  }

  /** Waits for every accepted publish to be acknowledged, then disconnects. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.sending.catch(() => undefined);
      await this.producer.disconnect();
    })();
    return this.closing;
  }

  /** Queues the requests of one publish behind earlier ones; a failed request stops the rest of its publish. */
  private send(requests: readonly TopicRecords[][]): Promise<void> {
    const compression = this.options.compression;
    const sent = this.sending.then(async () => {
      for (const topicMessages of requests) await this.producer.sendBatch(topicMessages, { compression });
    });
    this.sending = sent.catch(() => undefined);
    return sent.then(() => undefined);
  }
}

function asList(values: unknown, kind: Kind): readonly unknown[] {
  if (Array.isArray(values)) return values;
  throw new ValidationError([{ field: kind, message: 'must be an array of records' }]);
}

function encodeAll(values: readonly { vehicleId: string }[], encoder: AvroEncoder<unknown>): OutgoingRecord[] {
  const encoded = encoder.encodeMany(values);
  const messages: OutgoingRecord[] = new Array<OutgoingRecord>(values.length);
  for (let i = 0; i < values.length; i++) messages[i] = { key: values[i]!.vehicleId, value: encoded[i]! };
  return messages;
}
