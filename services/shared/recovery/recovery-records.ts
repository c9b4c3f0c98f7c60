/**
 * The two `webhook.parked` records a recovery writes (issue 15), in the dispatcher's format
 * (services/dispatcher/parking/parked-record.ts decodes them; a unit test checks that the
 * two agree): `recovery-item` — an audited item written back, value untouched — and the
 * `recovery` marker after the last of them, which starts the episode that delivers them.
 * Here, in shared code, because the admin API writes them and services never import each
 * other.
 */
export interface EncodedRecord {
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

const kindHeader = 'fleethook-parked-kind';
const episodeHeader = 'fleethook-episode';

export function encodeRecoveryItem(recoveryId: string, item: { readonly deliveriesOffset: string; readonly value: Buffer }): EncodedRecord {
  return { value: item.value, headers: { [kindHeader]: 'recovery-item', [episodeHeader]: recoveryId, 'fleethook-deliveries-offset': item.deliveriesOffset } };
}

export function encodeRecoveryMarker(recoveryId: string, m: { readonly firstOffset: string; readonly lastOffset: string; readonly items: number; readonly auditEpisodeId: string }): EncodedRecord {
  const value = { firstOffset: m.firstOffset, lastOffset: m.lastOffset, items: m.items, auditEpisodeId: m.auditEpisodeId };
  return { value: Buffer.from(JSON.stringify(value)), headers: { [kindHeader]: 'recovery', [episodeHeader]: recoveryId } };
}
