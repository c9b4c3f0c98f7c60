import type { Logger } from '../../shared/logger.js';
import type { SubscriptionCatalogue } from '../../shared/subscriptions/subscription-catalogue.js';
import type { ClosedBatch, PendingItem } from '../deliver/batch-accumulator.js';
import { deliverBatch } from '../deliver/deliver-batch.js';
import type { BatchDeliveryDeps } from '../deliver/deliver-batch.js';
import { markDelivered } from '../live/delivered-marks.js';
import type { DeliveredMarks } from '../live/delivered-marks.js';
import { streamKeyOf } from '../deliver/batch-accumulator.js';
import type { DueRecord } from './delayed-tier-consumer.js';
import type { HandledTickets } from './handled-tickets.js';
import { decodeDeliveryItem } from '../delivery-item.js';
import type { ParkingIo } from '../parking/parking-io.js';
import { decodeRetryTicket } from './retry-ticket.js';
import type { RetryTicket } from './retry-ticket.js';

export interface HeadRetryOptions {
  readonly deps: BatchDeliveryDeps;
  readonly parking: ParkingIo;
  readonly catalogue: SubscriptionCatalogue;
  readonly marks: DeliveredMarks;
  readonly handled: HandledTickets;
  readonly logger: Logger;
  /** Aborted at shutdown: the attempt in flight ends, the ticket is not committed and is handed over again. */
  readonly stop: AbortSignal;
  /** Items waiting behind the head (the owner of the co-partitioned deliveries partition knows), or null when unknown. */
  readonly backlogOf: (subscriptionId: string) => number | null;
  /** Whether the owner of the partition knows the episode has ended (read from `webhook.parked`). */
  readonly episodeOver: (partition: number, subscriptionId: string, episodeId: string) => boolean;
}

/**
 * One tier retry of a parked subscription's head, when its ticket is due (the delayed
 * tier consumer calls it; one at a time per tier partition). The head is sent once with
 * its stable webhook-id: delivered → `recovered` to `webhook.parked` (the owner drains the
 * backlog) and a recovered event; failed → the next ticket or the policy's limit
 * (ParkingIo.headFailed). Resolving commits the ticket; throwing leaves it to be handed
 * over again.
 */
export class HeadRetry {
  constructor(private readonly o: HeadRetryOptions) {}

  async handle(record: DueRecord): Promise<void> {
    const decoded = decodeRetryTicket(record.value);
    const partition = record.partition;
    if (decoded.kind === 'invalid') {
      // Never dropped silently: the record goes to the audit topic with the reason.
      const subscriptionId = record.key?.toString('utf8') ?? '';
      this.o.logger.error('unreadable retry ticket; auditing it', { topic: record.topic, partition, offset: record.offset, reason: decoded.reason });
      await this.o.parking.audit(partition, subscriptionId, [{ deliveriesOffset: '0', value: record.value?.toString('utf8') ?? '' }], `unreadable retry ticket: ${decoded.reason}`);
      return;
    }
    const ticket = decoded.ticket;
    if (await this.o.handled.seen(ticket)) {
      // Handed over again after its commit failed: its next step is already written.
      this.o.logger.info('retry ticket already handled', { subscriptionId: ticket.subscriptionId, episodeId: ticket.episodeId, retryCount: ticket.retryCount });
      return;
    }
    if (this.o.episodeOver(partition, ticket.subscriptionId, ticket.episodeId)) {
      // An orphan: a second chain of an episode whose backlog is drained or audited already.
      this.o.logger.warn('retry ticket of an ended episode dropped', { subscriptionId: ticket.subscriptionId, episodeId: ticket.episodeId, retryCount: ticket.retryCount });
      return;
    }
    // A ticket put back unchanged (the subscription is paused) keeps its identity: only a ticket whose next step is written is remembered.
    if ((await this.attempt(ticket, partition)) === 'done') await this.o.handled.remember(ticket);
  }

  private async attempt(ticket: RetryTicket, partition: number): Promise<'done' | 'requeued'> {
    const stored = this.o.catalogue.get(ticket.subscriptionId);
    if (stored === undefined) {
      this.o.logger.info('retry ticket of a deleted subscription dropped', { subscriptionId: ticket.subscriptionId, episodeId: ticket.episodeId });
      return 'done';
    }
    if (stored.state === 'paused' || stored.state === 'pending_verification') {
      // Data is kept while the owner has the subscription paused: the head waits on the shortest lane.
      await this.o.parking.waitOnShortestLane(partition, ticket);
      return 'requeued';
    }
    if (stored.state === 'deactivated') {
      const plan = this.o.parking.plan(ticket, { error: 'subscription deactivated while parked', statusCode: null, gone: true }, null);
      await this.o.parking.headFailed(partition, ticket, plan, null);
      return 'done';
    }
    const batch = this.batchOf(ticket, partition);
    if (batch === null) {
      await this.o.parking.audit(partition, ticket.subscriptionId, ticket.items, 'unreadable head items');
      return 'done';
    }
    const backlog = (): number | null => this.o.backlogOf(ticket.subscriptionId);
    const result = await deliverBatch(this.o.deps, batch, {
      stop: this.o.stop, kill: this.o.stop, queueDepth: () => backlog() ?? 0, maxAttempts: 1,
      // The body's retryCount counts every earlier attempt of this request: the first one, the quick retries, the tier retries.
      retryCountBase: this.o.deps.quickRetryDelaysMs.length + ticket.retryCount, webhookId: ticket.webhookId, firstFailureAtMs: ticket.firstFailureAtMs,
    });
    const m = this.o.deps.metrics;
    switch (result.kind) {
      case 'delivered': {
        m.headRetries.inc({ result: 'delivered' });
        const last = batch.items[batch.items.length - 1];
        if (last !== undefined) await markDelivered(this.o.marks, batch);
        // The event first: once `recovered` is written the owner drains, and a failing drain emits the next `parked`.
        await this.o.parking.emit(ticket.subscriptionId, { kind: 'recovered', retryCount: ticket.retryCount, backlogSize: backlog() });
        await this.o.parking.writeParked(partition, ticket.subscriptionId, [{ kind: 'recovered', episodeId: ticket.episodeId }]);
        this.o.logger.info('parked head delivered', { subscriptionId: ticket.subscriptionId, episodeId: ticket.episodeId, retryCount: ticket.retryCount });
        return 'done';
      }
      case 'failed': {
        const plan = this.o.parking.plan(ticket, result.failure, backlog());
        const outcome = await this.o.parking.headFailed(partition, ticket, plan, backlog());
        m.headRetries.inc({ result: outcome === 'unknown subscription' ? 'dropped' : outcome });
        return outcome === 'paused' ? 'requeued' : 'done';
      }
      case 'skipped':
        m.headRetries.inc({ result: 'waiting' });
        await this.o.parking.waitOnShortestLane(partition, ticket);
        return 'requeued';
      case 'abandoned':
        throw new Error('shutting down: the ticket is handed over again');
      default: {
        const unreachable: never = result;
        throw new Error(`unknown result ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private batchOf(ticket: RetryTicket, partition: number): ClosedBatch | null {
    const items: PendingItem[] = [];
    for (const t of ticket.items) {
      const value = Buffer.from(t.value, 'utf8');
      const d = decodeDeliveryItem(value);
      if (d.kind === 'invalid') return null;
      items.push({ item: d.item, partition, offset: Number(t.deliveriesOffset), value });
    }
    const first = items[0];
    if (first === undefined) return null;
    return { subscriptionId: ticket.subscriptionId, kind: first.item.kind, items, reason: 'time', ...(ticket.enqueuedAtMs === undefined ? {} : { openedAtMs: ticket.enqueuedAtMs }) };
  }
}
