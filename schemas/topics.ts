import { retryTiers } from './retry-tiers.js';

/**
 * The topic catalogue: the single source of truth for topic names, keys, partition
 * counts, value formats and retention. Pure data; `npm run topics` applies it.
 *
 * Topics in one partition group share one partition count. The webhook topics are all
 * keyed by subscriptionId and must stay co-partitioned (a subscription's deliveries,
 * retries, parked backlog and failures land on the same partition number), so they form
 * one group; overrides apply per group and cannot break that.
 */
export const partitionGroups = ['telemetry', 'deadletter', 'webhook', 'registry', 'scheduler'] as const;
export type PartitionGroup = (typeof partitionGroups)[number];

export const defaultPartitions: Readonly<Record<PartitionGroup, number>> = {
  telemetry: 12,
  deadletter: 3,
  webhook: 12,
  registry: 3,
  /** One partition: its owner in the scheduler's group is the one active scheduler. */
  scheduler: 1,
};

export type TopicKey = 'vehicleId' | 'subscriptionId' | 'landmarkId';

export type TopicValue =
  | { readonly format: 'avro'; readonly schemaFile: string }
  | { readonly format: 'json'; readonly owner: string }
  | { readonly format: 'raw'; readonly owner: string };

/** The deployable services that read or write topics: each is a folder under `services/`. */
export const topicServices = ['producer', 'dispatcher', 'admin-api', 'alerter', 'deriver', 'scheduler'] as const;
export type TopicService = (typeof topicServices)[number];

export interface TopicSpec {
  /** The default name; stable across prefixes, used to look a topic up. */
  readonly id: string;
  /** The name on the broker: prefix + id. */
  readonly name: string;
  readonly group: PartitionGroup;
  readonly partitions: number;
  readonly key: TopicKey;
  readonly value: TopicValue;
  /** Broker topic configs, as the admin API takes them. */
  readonly configs: Readonly<Record<string, string>>;
  readonly description: string;
  /** The services that produce records to the topic (checked against their code by a unit test). */
  readonly writers: readonly TopicService[];
  /** The services that consume it; empty for a topic kept for operators (dead letters, audit). */
  readonly readers: readonly TopicService[];
}

const dayMs = 86_400_000;
/** Durable pipeline state must survive the 7-day retry window plus a day of margin (DESIGN.md §6). */
export const durableRetentionMs = 8 * dayMs;
/** How long the delivery log (`webhook.messages`) keeps requests and attempts unless the catalogue is given another value. */
export const defaultMessageLogRetentionMs = 7 * dayMs;

const keep = (retentionMs: number): Record<string, string> => ({
  'cleanup.policy': 'delete',
  'retention.ms': String(retentionMs),
});
const compacted = { 'cleanup.policy': 'compact', 'retention.ms': '-1' } as const;

/**
 * `max.message.bytes` of the webhook topics that carry a whole request as one record
 * (issue 13): a scheduled part's request body is up to 1 MiB (`maxRequestBytes`), so its
 * deliveries item, parked or audited copy and delivery-log record are 1 MiB plus a head,
 * and its retry ticket holds its item as an escaped JSON string (at most twice as long).
 * 3 MiB covers all of them. Only these topics are raised (the broker default stays 1 MiB);
 * since Kafka 0.10.1 (KIP-74) a record batch larger than a fetch's per-partition or
 * replica fetch size is still returned whole, so consumers and followers make progress
 * with their default fetch sizes. Live requests stay at 384 KiB of items.
 */
export const requestRecordMaxBytes = 3 * 1_048_576;
const carriesRequests = (configs: Record<string, string>): Record<string, string> => ({ ...configs, 'max.message.bytes': String(requestRecordMaxBytes) });

type TopicDefinition = Omit<TopicSpec, 'name' | 'partitions'>;

interface Flow {
  readonly writers: readonly TopicService[];
  readonly readers: readonly TopicService[];
}

const telemetry = (id: string, schemaFile: string, description: string, flow: Flow): TopicDefinition => ({
  id, group: 'telemetry', key: 'vehicleId', value: { format: 'avro', schemaFile },
  configs: keep(durableRetentionMs), description, ...flow,
});
const webhook = (id: string, configs: Record<string, string>, description: string, flow: Flow): TopicDefinition => ({
  id, group: 'webhook', key: 'subscriptionId', value: { format: 'json', owner: 'dispatcher' },
  configs, description, ...flow,
});
/**
 * The deriver reads the GPS points and adds its derived events to the device-reported ones; its state stage reads all three kinds.
 * The admin API reads only their retention (a replay's `from` older than it is a 409); the dispatcher's replay stage re-reads ranges.
 */
const gpsFlow: Flow = { writers: ['producer'], readers: ['dispatcher', 'deriver', 'admin-api'] };
const dtcFlow: Flow = { writers: ['producer'], readers: ['dispatcher', 'deriver', 'admin-api'] };
const eventsFlow: Flow = { writers: ['producer', 'deriver'], readers: ['dispatcher', 'deriver', 'admin-api'] };
/** The dispatcher's own pipeline state: it writes and reads it alone. */
const dispatcherState: Flow = { writers: ['dispatcher'], readers: ['dispatcher'] };

const definitions: readonly TopicDefinition[] = [
  telemetry('telemetry.gps', 'gps-point.avsc', 'GPS points from devices; the bulk of the traffic.', gpsFlow),
  telemetry('telemetry.dtc', 'dtc.avsc', 'Diagnostic trouble codes (OBD-II, J1939).', dtcFlow),
  telemetry('telemetry.events', 'vehicle-event.avsc', 'Vehicle events, device-reported or derived.', eventsFlow),
  {
    // Co-partitioned with telemetry.gps (same group, same key): partition N holds the states of the vehicles of GPS partition N.
    id: 'deriver.vehicle-state', group: 'telemetry', key: 'vehicleId', value: { format: 'json', owner: 'deriver' }, configs: compacted,
    description: "The deriver's changelog: each vehicle's rule state (last point, trip, idle, episodes, landmarks) and the last GPS offset applied; restored on assignment.",
    writers: ['deriver'], readers: ['deriver'],
  },
  {
    // Co-partitioned with the three telemetry topics: partition N holds the snapshots of the vehicles of their partition N.
    id: 'vehicle.state', group: 'telemetry', key: 'vehicleId', value: { format: 'json', owner: 'deriver' }, configs: compacted,
    description: "Latest state per vehicle (last GPS fix, active DTCs, last event times, mode), materialised from the three telemetry topics by the deriver's state stage; its own changelog, and read whole by the admin API (`GET /v1/vehicles/:vehicleId/state`).",
    writers: ['deriver'], readers: ['deriver', 'admin-api', 'scheduler'],
  },
  {
    id: 'telemetry.deadletter', group: 'deadletter', key: 'vehicleId',
    value: { format: 'raw', owner: 'dispatcher' }, configs: keep(14 * dayMs),
    description: 'Telemetry records that could not be decoded: original key and bytes, with the reason and origin (topic, partition, offset) in headers.',
    writers: ['dispatcher'], readers: [],
  },
  webhook('webhook.subscriptions', compacted, 'Subscription catalogue, latest state per subscriptionId; a null value deletes.', {
    // The dispatcher writes a subscription's state when its retry policy deactivates or pauses it.
    writers: ['admin-api', 'dispatcher'], readers: ['admin-api', 'dispatcher', 'alerter', 'deriver', 'scheduler'],
  }),
  // The scheduler writes each slot's parts (kind `scheduled`) into the same ordered pipeline.
  webhook('webhook.deliveries', carriesRequests(keep(durableRetentionMs)), 'Work re-keyed by subscription: matched telemetry, and scheduled slots, awaiting delivery, in order.', { writers: ['dispatcher', 'scheduler'], readers: ['dispatcher'] }),
  ...retryTiers.map((tier) =>
    webhook(tier.topic, carriesRequests(keep(durableRetentionMs)), `Failed requests waiting ${tier.name} before the next attempt.`, dispatcherState),
  ),
  webhook('webhook.intents', keep(durableRetentionMs), 'The composition of each live request (its deliveries offsets), written before it is sent, so a new owner sends a request cut in flight again exactly, under the same webhook-id.', dispatcherState),
  webhook('webhook.parked', carriesRequests(keep(durableRetentionMs)), 'Backlog of a parked subscription, kept in order behind its failed request; and recoveries: audited items written back, then the marker that makes them a backlog.', {
    // The admin API writes recoveries (issue 15): `recovery-item` records, inert until their `recovery` marker follows.
    writers: ['dispatcher', 'admin-api'], readers: ['dispatcher'],
  }),
  webhook('webhook.replays', keep(durableRetentionMs), 'Replays (issue 15): the request from the admin API, then the owning dispatcher\'s progress after each delivered request (the telemetry offsets next to read) and its end; a cancel from the admin API.', {
    writers: ['admin-api', 'dispatcher'], readers: ['dispatcher'],
  }),
  webhook('webhook.failures', keep(durableRetentionMs), 'Failure and recovery events the alerter turns into e-mails.', {
    // The admin API writes failed verifications.
    writers: ['dispatcher', 'admin-api'], readers: ['alerter'],
  }),
  webhook('webhook.alert-confirmations', keep(durableRetentionMs), 'Requests (from the admin API) to e-mail a newly added alert address its confirmation link; the alerter sends them.', {
    writers: ['admin-api'], readers: ['alerter'],
  }),
  {
    // Co-partitioned with webhook.deliveries (same group and key): a subscription's attempts sit on its deliveries partition number.
    id: 'webhook.messages', group: 'webhook', key: 'subscriptionId', value: { format: 'raw', owner: 'dispatcher' }, configs: carriesRequests(keep(defaultMessageLogRetentionMs)),
    description: 'The delivery log: one record per attempt of every request sent (value = the exact body bytes; header `fleethook-message` = webhook-id, account, time, item count, content type, status, latency, error). Read whole by the admin API; survives a Redis wipe.',
    writers: ['dispatcher', 'admin-api'], readers: ['admin-api'],
  },
  webhook('webhook.audit', carriesRequests(keep(30 * dayMs)), 'Undelivered data of deactivated subscriptions (the audit dead-letter), by episode; and which episodes were recovered.', {
    // The admin API reads a subscription's episodes to recover one, and notes the recovery.
    writers: ['dispatcher', 'admin-api'], readers: ['admin-api'],
  }),
  {
    id: 'fleet.landmarks', group: 'registry', key: 'landmarkId', value: { format: 'json', owner: 'admin-api' }, configs: compacted,
    description: 'Landmarks (geofences) per account, latest state per landmarkId; a null value deletes. Written by the admin API, read whole by every instance that needs them.',
    writers: ['admin-api'], readers: ['admin-api', 'deriver'],
  },
  {
    id: 'scheduler.slots', group: 'scheduler', key: 'subscriptionId', value: { format: 'json', owner: 'scheduler' }, configs: compacted,
    description: "Each scheduled subscription's last slot: `claimed` before its parts go to webhook.deliveries, `written` after. The scheduler group's member owning its one partition is the active scheduler; a new one redoes a claimed slot under the same origin and webhook-ids.",
    writers: ['scheduler'], readers: ['scheduler'],
  },
];

export interface CatalogueOptions {
  /** Prepended to every topic name, e.g. a unique test prefix `t-abc123.`. */
  readonly prefix?: string;
  readonly partitions?: Partial<Record<PartitionGroup, number>>;
  /** `retention.ms` of `webhook.messages` (default 7 days; `FLEETHOOK_TOPICS_MESSAGE_LOG_RETENTION_MS`). */
  readonly messageLogRetentionMs?: number;
}

export interface TopicCatalogue {
  readonly prefix: string;
  readonly topics: readonly TopicSpec[];
  /** The spec of a topic by its default name; throws on a name not in the catalogue. */
  get(id: string): TopicSpec;
}

export function topicCatalogue(options: CatalogueOptions = {}): TopicCatalogue {
  const prefix = options.prefix ?? '';
  const counts = { ...defaultPartitions, ...options.partitions };
  const retention = options.messageLogRetentionMs;
  const topics = definitions.map((d) => ({
    ...d, name: prefix + d.id, partitions: counts[d.group],
    ...(d.id === 'webhook.messages' && retention !== undefined ? { configs: carriesRequests(keep(retention)) } : {}),
  }));
  const byId = new Map(topics.map((t) => [t.id, t]));
  return {
    prefix,
    topics,
    get(id) {
      const spec = byId.get(id);
      if (spec === undefined) throw new Error(`topic "${id}" is not in the catalogue`);
      return spec;
    },
  };
}

/** Topic-name subject strategy: the value schema of topic T is registered under `T-value`. */
export function valueSubject(topicName: string): string {
  return `${topicName}-value`;
}
