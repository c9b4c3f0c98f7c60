import { createHash } from 'node:crypto';
import type { OutgoingRecord, RecordProducer } from '../../shared/kafka/kafka-port.js';
import { chunkBySize } from '../../shared/kafka-message-size.js';
import type { Logger } from '../../shared/logger.js';
import type { SubscriptionCatalogue } from '../../shared/subscriptions/subscription-catalogue.js';
import { transition } from '../../shared/subscriptions/subscription-state-machine.js';
import type { SubscriptionEvent } from '../../shared/subscriptions/subscription-state-machine.js';
import type { StoredSubscription } from '../../shared/subscriptions/subscription-types.js';
import type { SubscriptionWriter } from '../../shared/subscriptions/subscription-writer.js';
import type { FailureChange } from '../../shared/failures/build-failure-event.js';
import type { RequestFailure } from '../deliver/deliver-batch.js';
import type { DeliveryStatusRecorder } from '../deliver/delivery-status-recorder.js';
import type { FailureEventEmitter } from '../../shared/failures/failure-event-emitter.js';
import { encodeParkedRecord } from './parked-record.js';
import type { RecoveryProgress } from './recovery-progress.js';
import { auditDeliveriesOffsetHeader, auditEpisodeHeader, auditReasonHeader } from '../../shared/recovery/audit-headers.js';
import type { ParkedRecord } from './parked-record.js';
import { planHeadFailure } from './plan-head-failure.js';
import type { HeadFailurePlan } from './plan-head-failure.js';
import { dueAtHeaders } from '../retry/retry-due-header.js';
import type { RetryLane, RetryPolicy } from '../retry/retry-policy.js';
import { encodeRetryTicket } from '../retry/retry-ticket.js';
import type { RetryTicket, TicketItem } from '../retry/retry-ticket.js';
import type { RetryPolicyName } from '../../shared/subscriptions/subscription-types.js';

export interface ParkingTopics {
  /** Broker names (with the prefix). */
  readonly parked: string;
  readonly audit: string;
  /** Catalogue id of a lane (e.g. `webhook.retry.5m`) → broker name. */
  readonly lane: (laneId: string) => string;
}

export interface ParkingIoOptions {
  readonly producer: RecordProducer;
  readonly topics: ParkingTopics;
  readonly catalogue: SubscriptionCatalogue;
  readonly writer: SubscriptionWriter;
  readonly events: FailureEventEmitter;
  readonly recorder: DeliveryStatusRecorder;
  readonly schedule: { readonly policies: Readonly<Record<RetryPolicyName, RetryPolicy>>; readonly lanes: readonly RetryLane[] };
  readonly logger: Logger;
  readonly now?: () => number;
  /** Where a recovery's delivered items are counted (status only). */
  readonly recoveryProgress?: Pick<RecoveryProgress, 'began' | 'delivered'>;
}

/**
 * An episode is named after its head request (subscription + stable webhook-id): a head
 * parked again after a crash between its ticket and its begin marker gets the same
 * episode, so the orphaned ticket and the new one are one chain, and the second is
 * recognised as already handled instead of forking the schedule.
 */
export function episodeIdFor(subscriptionId: string, webhookId: string): string {
  return `pke_${createHash('sha256').update(`${subscriptionId}\u0000${webhookId}`).digest('hex').slice(0, 24)}`;
}

/** One write request stays well under the topics' 1 MiB `max.message.bytes` (record batch framing included). */
const writeBudgetBytes = 768 * 1024;

/** What became of a failed head. */
export type HeadOutcome = 'retrying' | 'closed' | 'paused' | 'unknown subscription';

/**
 * Every write of parking (issue 5), acks=all on the idempotent producer and always to an
 * explicit partition — the owner's partition number, the same on every co-partitioned
 * topic: backlog items and markers to `webhook.parked`, tickets to the lanes, undelivered
 * items to `webhook.audit`, state changes to the catalogue, events to `webhook.failures`.
 * `headFailed` is the one step both the first parking and every tier retry go through.
 */
export class ParkingIo {
  private readonly now: () => number;

  constructor(private readonly o: ParkingIoOptions) {
    this.now = o.now ?? Date.now;
  }

  get topics(): ParkingTopics {
    return this.o.topics;
  }

  /** Writes markers/items for one subscription, in order, in requests that fit the topic; returns the offset of the last one. */
  async writeParked(partition: number, subscriptionId: string, records: readonly ParkedRecord[]): Promise<bigint> {
    const messages: OutgoingRecord[] = records.map((r) => ({ key: subscriptionId, partition, ...encodeParkedRecord(r) }));
    let last: bigint | undefined;
    for (const chunk of chunkBySize(messages, writeBudgetBytes)) {
      const [meta] = await this.o.producer.send(this.o.topics.parked, chunk);
      if (meta?.baseOffset === undefined) throw new Error(`no offset returned writing to ${this.o.topics.parked}`);
      last = BigInt(meta.baseOffset) + BigInt(chunk.length - 1);
    }
    if (last === undefined) throw new Error('nothing to write');
    return last;
  }

  async writeTicket(partition: number, laneId: string, dueAtMs: number, ticket: RetryTicket): Promise<void> {
    await this.o.producer.send(this.o.topics.lane(laneId), [{ key: ticket.subscriptionId, partition, value: encodeRetryTicket(ticket), headers: dueAtHeaders(dueAtMs) }]);
  }

  /** Undelivered items, byte for byte, with why, where they came from and (when known) the episode that audited them in headers. */
  async audit(partition: number, subscriptionId: string, items: readonly TicketItem[], reason: string, episodeId?: string): Promise<void> {
    if (items.length === 0) return;
    const episode = episodeId === undefined ? {} : { [auditEpisodeHeader]: episodeId };
    const messages: OutgoingRecord[] = items.map((i) => ({
      key: subscriptionId, partition, value: i.value,
      headers: { [auditReasonHeader]: reason, [auditDeliveriesOffsetHeader]: i.deliveriesOffset, ...episode },
    }));
    for (const chunk of chunkBySize(messages, writeBudgetBytes)) await this.o.producer.send(this.o.topics.audit, chunk);
  }

  /** The owner applied recovery `recoveryId`'s marker (status only). */
  recoveryBegan(recoveryId: string): void {
    this.o.recoveryProgress?.began(recoveryId);
  }

  /** A delivered drain request carried `items` of recovery `recoveryId` (status only). */
  recoveredItems(recoveryId: string, items: number): void {
    this.o.recoveryProgress?.delivered(recoveryId, items);
  }

  async emit(subscriptionId: string, change: FailureChange): Promise<void> {
    const sub = this.o.catalogue.get(subscriptionId);
    if (sub === undefined) return;
    await this.o.events.emit(sub, change);
  }

  /** Moves the subscription through the state machine (dispatcher events); a no-op when it does not apply. */
  async changeState(subscriptionId: string, event: SubscriptionEvent): Promise<void> {
    const stored = this.o.catalogue.get(subscriptionId);
    if (stored === undefined) return;
    const t = transition(stored.state, event);
    if (t.kind !== 'moved') return;
    const next: StoredSubscription = { ...stored, state: t.to, updatedAt: new Date(this.now()).toISOString(), revision: stored.revision + 1 };
    const at = await this.o.writer.put(next);
    // Our own catalogue reflects the change before anything else reads the state.
    await this.o.catalogue.waitForOffset(at.partition, at.offset, 30_000).catch(() => undefined);
  }

  /** A head that must not be tried now (subscription paused): the same ticket again on the shortest lane. */
  async waitOnShortestLane(partition: number, ticket: RetryTicket): Promise<void> {
    const shortest = this.o.schedule.lanes[0];
    if (shortest === undefined) throw new Error('no retry lanes configured');
    await this.writeTicket(partition, shortest.topic, this.now() + shortest.delayMs, ticket);
  }

  plan(ticket: RetryTicket, failure: Pick<RequestFailure, 'error' | 'statusCode' | 'retryAfterMs' | 'gone'>, backlogSize: number | null): HeadFailurePlan {
    const policy = this.o.schedule.policies[ticket.retryPolicy];
    const f = { ticket, error: failure.error, statusCode: failure.statusCode, retryAfterMs: failure.retryAfterMs, nowMs: this.now(), backlogSize, auditTopic: this.o.topics.audit };
    if (!failure.gone) return planHeadFailure(policy, this.o.schedule.lanes, f);
    // 410 Gone: the limit at once, whatever the policy (no missed-slot retries either).
    const { missedSlots: _, ...now } = policy;
    const limited = planHeadFailure({ ...now, limitMs: 0, onLimit: 'deactivate' }, this.o.schedule.lanes, f);
    return limited;
  }

  /**
   * Carries out a failed head's plan: the next ticket and its event, or the limit —
   * paused (the ticket keeps cycling on the shortest lane until the subscription is
   * resumed), or deactivated (head audited, `closed` marker so the owner audits the
   * backlog, subscription deactivated). `beforeFirstWrite` runs first (the first parking
   * writes its begin marker there).
   */
  async headFailed(partition: number, ticket: RetryTicket, plan: HeadFailurePlan, backlogSize: number | null): Promise<HeadOutcome> {
    const sub = this.o.catalogue.get(ticket.subscriptionId);
    if (sub === undefined) return 'unknown subscription';
    // Each event is written before the ticket: the next retry, and so the next event, can
    // only happen once the ticket exists, so one subscription's events stay in order.
    if (plan.kind === 'retry') {
      if (plan.event.kind === 'parked') await this.changeState(sub.id, { kind: 'parked' });
      await this.emit(sub.id, plan.event);
      await this.writeTicket(partition, plan.laneTopic, plan.dueAtMs, plan.ticket);
      this.o.recorder.parking(sub.id, {
        tier: plan.laneTopic, nextRetryAt: iso(plan.dueAtMs), firstFailureAt: iso(ticket.firstFailureAtMs), lastError: plan.ticket.lastError, backlogSize,
      });
      return 'retrying';
    }
    if (plan.action === 'pause') {
      await this.changeState(sub.id, { kind: 'paused' });
      await this.emit(sub.id, plan.event);
      await this.waitOnShortestLane(partition, { ...ticket, lastError: plan.event.failure.lastError });
      this.o.recorder.parking(sub.id, { tier: 'paused', nextRetryAt: null, firstFailureAt: iso(ticket.firstFailureAtMs), lastError: plan.event.failure.lastError, backlogSize });
      return 'paused';
    }
    const reason = `${plan.action === 'disable' ? 'disabled' : 'deactivated'}: ${plan.event.failure.lastError}`;
    await this.audit(partition, sub.id, ticket.items, reason, ticket.episodeId);
    const e = plan.event.failure;
    const facts = { headItems: ticket.items.length, firstFailureAtMs: e.firstFailureAtMs, retryCount: e.retryCount, lastError: e.lastError, lastStatusCode: e.lastStatusCode };
    await this.writeParked(partition, sub.id, [{ kind: 'closed', episodeId: ticket.episodeId, action: plan.action === 'disable' ? 'disable' : 'deactivate', reason, facts }]);
    await this.changeState(sub.id, { kind: 'policy_exhausted' });
    this.o.recorder.parking(sub.id, { tier: null, nextRetryAt: null, firstFailureAt: iso(ticket.firstFailureAtMs), lastError: plan.event.failure.lastError, backlogSize });
    // The deactivation event (with the exact discarded count) is the owner's, once the backlog is audited.
    return 'closed';
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
