import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;

/** Every dispatcher metric, declared once; labels are bounded (topic, outcome, status class, kind). */
export function createDispatcherMetrics(options: { defaultMetrics: boolean }) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'fleethook_dispatcher_' });
  const p = 'fleethook_dispatcher_';
  return {
    registry,
    recordsConsumed: new Counter({ name: `${p}records_consumed_total`, help: 'Telemetry records read, by topic', labelNames: ['topic'], registers: [registry] }),
    deadLettered: new Counter({
      name: `${p}records_dead_lettered_total`, help: 'Telemetry records sent to the dead-letter topic, by origin topic and cause (undecodable, invalid, too_large, refused)',
      labelNames: ['topic', 'cause'], registers: [registry],
    }),
    deadLettersTruncated: new Counter({ name: `${p}dead_letters_truncated_total`, help: 'Dead letters whose value was cut to fit the dead-letter topic', labelNames: ['topic'], registers: [registry] }),
    recordsSkipped: new Counter({ name: `${p}records_skipped_total`, help: 'Telemetry records neither processed nor dead-lettered (the dead-letter topic refused them)', labelNames: ['topic'], registers: [registry] }),
    consumerRestarts: new Counter({ name: `${p}consumer_restarts_total`, help: 'Crashed consumers restarted by their supervisor', labelNames: ['consumer'], registers: [registry] }),
    stalledPartitions: new Gauge({ name: `${p}stalled_partitions`, help: 'Assigned partitions with records to read and no progress for longer than the stall bound', labelNames: ['consumer'], registers: [registry] }),
    itemsMatched: new Counter({ name: `${p}items_matched_total`, help: 'Items re-keyed onto webhook.deliveries, by kind', labelNames: ['kind'], registers: [registry] }),
    deliveries: new Counter({
      name: `${p}deliveries_total`, help: 'Delivery attempts by outcome and HTTP status class',
      labelNames: ['outcome', 'status_class'], registers: [registry],
    }),
    itemsDelivered: new Counter({ name: `${p}items_delivered_total`, help: 'Items acknowledged with a 2xx', labelNames: ['kind'], registers: [registry] }),
    endToEndLatency: new Histogram({
      name: `${p}end_to_end_latency_seconds`, help: 'Record time to 2xx, per item', registers: [registry],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 6, 7.5, 10, 15, 30, 60, 300],
    }),
    requestDuration: new Histogram({
      name: `${p}request_duration_seconds`, help: 'HTTP request duration by outcome', labelNames: ['outcome'], registers: [registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    }),
    batchSize: new Histogram({
      name: `${p}batch_items`, help: 'Items per request', labelNames: ['kind'], registers: [registry],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    }),
    openItems: new Gauge({ name: `${p}open_items`, help: 'Items read and not yet delivered', registers: [registry] }),
    pausedPartitions: new Gauge({ name: `${p}paused_partitions`, help: 'webhook.deliveries partitions paused for back-pressure', registers: [registry] }),
    inFlight: new Gauge({ name: `${p}requests_in_flight`, help: 'Requests running now', registers: [registry] }),
    stalledDrains: new Gauge({ name: `${p}stalled_drains`, help: 'Draining or closing backlogs on this instance that finished no item for FLEETHOOK_DISPATCHER_DRAIN_STALL_WARN_MS (each is logged with what holds it)', registers: [registry] }),
    parkedSubscriptions: new Gauge({ name: `${p}parked_subscriptions`, help: 'Subscriptions parked, draining or closing on this instance, by phase', labelNames: ['phase'], registers: [registry] }),
    parkingEpisodes: new Counter({ name: `${p}parking_episodes_total`, help: 'Subscriptions parked (a head failed its quick retries or failed during a drain)', registers: [registry] }),
    itemsParked: new Counter({ name: `${p}items_parked_total`, help: 'Live items appended to a parked backlog (webhook.parked), each written once', registers: [registry] }),
    itemsDrained: new Counter({ name: `${p}items_drained_total`, help: 'Backlog items delivered by a drain', registers: [registry] }),
    itemsAudited: new Counter({ name: `${p}items_audited_total`, help: 'Backlog items written to webhook.audit at a deactivation (the head items are audited with the closing marker and not counted here)', registers: [registry] }),
    consumerLag: new Gauge({
      name: `${p}consumer_lag`, help: 'Records not yet committed by a dispatcher consumer group (high watermark - committed offset), per group, topic and partition; the whole group, as read by this instance',
      labelNames: ['group', 'topic', 'partition'], registers: [registry],
    }),
    backlogItems: new Gauge({ name: `${p}backlog_items`, help: 'Items waiting in the parked backlogs of this instance\'s subscriptions, by phase (parked, draining, closing)', labelNames: ['phase'], registers: [registry] }),
    oldestParkedSeconds: new Gauge({ name: `${p}oldest_parked_seconds`, help: 'Age of the oldest parking episode on this instance (since its first failure); 0 when none', registers: [registry] }),
    headRetries: new Counter({ name: `${p}head_retries_total`, help: 'Tier retries of parked heads, by result (delivered, retrying, closed, paused, waiting)', labelNames: ['result'], registers: [registry] }),
  };
}

export function statusClass(status: number | null): string {
  if (status === null) return 'none';
  if (status >= 100 && status <= 599) return `${Math.floor(status / 100)}xx`;
  return 'invalid';
}
