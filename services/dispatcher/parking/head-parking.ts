import type { Logger } from '../../shared/logger.js';
import type { SubscriptionCatalogue } from '../../shared/subscriptions/subscription-catalogue.js';
import type { ClosedBatch } from '../deliver/batch-accumulator.js';
import type { DispatcherMetrics } from '../dispatcher-metrics.js';
import type { RequestFailure } from '../deliver/deliver-batch.js';
import type { DeliveryGeneration } from '../live/delivery-generation.js';
import type { ParkedRecord } from './parked-record.js';
import { episodeIdFor } from './parking-io.js';
import type { ParkingIo } from './parking-io.js';
import type { RetryTicket } from '../retry/retry-ticket.js';

export interface HeadParkingOptions {
  readonly catalogue: SubscriptionCatalogue;
  readonly parking: ParkingIo;
  readonly metrics: DispatcherMetrics;
  readonly logger: Logger;
}

/**
 * The head failed its quick retries (or a drain request failed): a new episode. The ticket
 * goes first, then the begin marker — a crash between them leaves a ticket whose head is
 * read again and parked anew under the same episode (same webhook-id), never a parked
 * subscription without a ticket. A limit reached at once (410 Gone) writes the begin
 * marker first, then the audit and `closed`. Runs inside the subscription's serial queue.
 */
export class HeadParking {
  constructor(
    private readonly o: HeadParkingOptions,
    private readonly gen: DeliveryGeneration,
    /** A new episode began: the drain of the old one (if any) is void in this generation. */
    private readonly onBegin: (subscriptionId: string) => void,
  ) {}

  /** `backlogAfter`: set when the head came from a drain (the gap-free cursor of the old backlog). False when the generation ended first. */
  async park(partition: number, batch: ClosedBatch, failure: RequestFailure, backlogAfter: bigint | null): Promise<boolean> {
    const sub = batch.subscriptionId;
    const stored = this.o.catalogue.get(sub);
    if (stored === undefined) return true;
    const book = this.gen.book(partition);
    const ticket: RetryTicket = {
      v: 1, subscriptionId: sub, episodeId: episodeIdFor(sub, failure.webhookId), retryCount: 0, firstFailureAtMs: failure.firstFailureAtMs,
      ...(batch.openedAtMs === undefined ? {} : { enqueuedAtMs: batch.openedAtMs }),
      retryPolicy: stored.retryPolicy, webhookId: failure.webhookId, lastError: failure.error, lastStatusCode: failure.statusCode,
      items: batch.items.map((p) => ({ deliveriesOffset: String(p.offset), value: (p.value ?? Buffer.alloc(0)).toString('utf8') })),
    };
    const backlog = (book.get(sub)?.backlog ?? 0) + Math.max(0, this.gen.depth(sub) - batch.items.length);
    const plan = this.o.parking.plan(ticket, failure, backlog);
    const headOffsets = batch.items.map((p) => p.offset);
    const inHead = backlogAfter === null ? [] : batch.items.flatMap((p) => (p.parkedOffset === undefined ? [] : [p.parkedOffset]));
    // What the old backlog's drain delivered above its gap-free cursor stays delivered (chaos seed 21).
    const finished = backlogAfter === null ? [] : [...(book.get(sub)?.inHead ?? [])].filter((o) => o > backlogAfter && !inHead.includes(o));
    const begin: ParkedRecord = {
      kind: 'begin', episodeId: ticket.episodeId, headThroughOffset: String(Math.max(0, ...headOffsets)), headDeliveriesOffsets: headOffsets.map(String),
      firstFailureAtMs: ticket.firstFailureAtMs,
      ...(backlogAfter === null ? {} : { backlogAfter: String(backlogAfter), headParkedOffsets: inHead.map(String), finishedParkedOffsets: finished.map(String) }),
    };
    const writeBegin = async (): Promise<boolean> => {
      const marker = await this.gen.durably(() => this.o.parking.writeParked(partition, sub, [begin]));
      if (marker === null) return false;
      book.begin(sub, { episodeId: ticket.episodeId, markerOffset: marker, headOffsets, ...(backlogAfter === null ? {} : { backlogAfter, inHead, finished }) });
      this.onBegin(sub);
      return true;
    };
    this.o.metrics.parkingEpisodes.inc();
    this.o.logger.warn('parking a subscription', { subscriptionId: sub, partition, episodeId: ticket.episodeId, reason: failure.error, items: batch.items.length, plan: plan.kind });
    if (plan.kind === 'retry') {
      const ok = await this.gen.durably(() => this.o.parking.headFailed(partition, ticket, plan, backlog));
      return ok !== null && (await writeBegin());
    }
    if (!(await writeBegin())) return false;
    return (await this.gen.durably(() => this.o.parking.headFailed(partition, ticket, plan, backlog))) !== null;
  }
}
