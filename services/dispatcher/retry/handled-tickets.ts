import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger.js';
import type { RetryTicket } from './retry-ticket.js';

/** A ticket is handled at most once per episode and retry count within the retry window (plus margin). */
const handledTtlSeconds = 9 * 24 * 3_600;
const localKept = 50_000;

/**
 * Tickets already handled, in Redis. The tier consumer commits a ticket's offset after
 * handling it; when that commit fails (a rebalance, a broker failover) the ticket is handed
 * over again, and handling it twice would fork the head's schedule — two next tickets,
 * repeated events, a late repeat of the head. A ticket is remembered once its next step
 * (next ticket, recovered marker, or limit) is written. Best effort: if Redis lost the key,
 * the worst case is the fork this prevents, never a lost ticket.
 */
export class HandledTickets {
  /** The same, in this process: a duplicate ticket is recognised even while Redis is empty or away. */
  private readonly local = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async seen(ticket: RetryTicket): Promise<boolean> {
    if (this.local.has(this.key(ticket))) return true;
    try {
      return (await this.redis.exists(this.key(ticket))) === 1;
    } catch (err) {
      this.logger.warn('could not check a handled ticket; handling it', { subscriptionId: ticket.subscriptionId, err });
      return false;
    }
  }

  async remember(ticket: RetryTicket): Promise<void> {
    this.local.add(this.key(ticket));
    // Insertion order: the oldest goes first.
    if (this.local.size > localKept) for (const k of this.local) { this.local.delete(k); break; }
    try {
      await this.redis.set(this.key(ticket), '1', 'EX', handledTtlSeconds);
    } catch (err) {
      this.logger.warn('could not remember a handled ticket', { subscriptionId: ticket.subscriptionId, err });
    }
  }

  private key(ticket: RetryTicket): string {
    return `${this.prefix}ticket:${ticket.episodeId}:${ticket.retryCount}`;
  }
}
