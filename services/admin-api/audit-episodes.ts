import { auditDeliveriesOffsetHeader, auditEpisodeHeader, auditKindHeader, auditRecoveryKind } from '../shared/recovery/audit-headers.js';

type HeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;

/** One `webhook.audit` record of a subscription, as read. */
export interface AuditRecord {
  readonly offset: string;
  readonly headers: Readonly<Record<string, HeaderValue>> | undefined;
  readonly value: Buffer | null;
}

export interface AuditedItem {
  readonly deliveriesOffset: string;
  readonly value: Buffer;
}

export interface AuditEpisode {
  readonly episodeId: string;
  readonly items: AuditedItem[];
  /** Set once a recovery handed the episode's items back to the dispatcher. */
  recovery: { readonly recoveryId: string; readonly items: number } | null;
}

const text = (v: HeaderValue): string | undefined => {
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return one === undefined ? undefined : one.toString();
};

/**
 * Groups a subscription's audit records (in offset order) into the deactivation episodes
 * that wrote them (pure). An item without an episode header belongs to the episode of the
 * record before it (live items audited after their episode ended); items before any
 * episode are one episode named after the first one's offset. A `recovery` record marks
 * its episode recovered. An item audited twice in one episode (same deliveries offset: an
 * owner crashed mid-audit and the next audited the backlog again) is kept once. Episodes come in the order they first appear: the last is the
 * latest deactivation.
 */
export function auditEpisodes(records: readonly AuditRecord[]): AuditEpisode[] {
  const byId = new Map<string, AuditEpisode>();
  const seenOf = new Map<string, Set<string>>();
  let current: AuditEpisode | null = null;
  for (const r of records) {
    const named = text(r.headers?.[auditEpisodeHeader]);
    if (text(r.headers?.[auditKindHeader]) === auditRecoveryKind) {
      const episode = named === undefined ? undefined : byId.get(named);
      if (episode !== undefined) episode.recovery = decodeRecovery(r.value);
      continue;
    }
    const id: string = named ?? current?.episodeId ?? `aud_${r.offset}`;
    let episode = byId.get(id);
    if (episode === undefined) byId.set(id, (episode = { episodeId: id, items: [], recovery: null }));
    current = episode;
    const deliveriesOffset = text(r.headers?.[auditDeliveriesOffsetHeader]) ?? '0';
    if (r.value === null || r.value.length === 0) continue;
    // A second copy of an item (an owner crashed while auditing a backlog; the next one audited it again): recovered once.
    const seen = seenOf.get(id) ?? new Set<string>();
    seenOf.set(id, seen);
    if (deliveriesOffset !== '0' && seen.has(deliveriesOffset)) continue;
    seen.add(deliveriesOffset);
    episode.items.push({ deliveriesOffset, value: r.value });
  }
  return [...byId.values()];
}

function decodeRecovery(value: Buffer | null): { recoveryId: string; items: number } {
  try {
    const raw: unknown = JSON.parse(value?.toString('utf8') ?? '');
    if (typeof raw === 'object' && raw !== null) {
      const { recoveryId, items } = raw as Record<string, unknown>;
      if (typeof recoveryId === 'string' && Number.isInteger(items)) return { recoveryId, items: items as number };
    }
  } catch {
    // A marker we cannot read still marks the episode recovered: never deliver twice.
  }
  return { recoveryId: 'unknown', items: 0 };
}
