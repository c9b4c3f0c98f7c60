/**
 * Headers of `webhook.audit` records (key = subscription id) — the contract between the
 * dispatcher, which audits undelivered items, and the admin API, which recovers them
 * (issue 15). An item's value is the original `webhook.deliveries` value, byte for byte.
 *
 * - `fleethook-episode`: the parking episode whose deactivation audited the item. Items
 *   without it (live items audited after the episode ended, records of older versions)
 *   belong to the episode of the record before them.
 * - `fleethook-audit-kind: recovery` marks a recovery record (admin API): that episode's
 *   items were handed to the dispatcher for re-delivery; its value is JSON
 *   `{ recoveryId, items }`. Absent: an audited item.
 */
export const auditEpisodeHeader = 'fleethook-episode';
export const auditReasonHeader = 'fleethook-audit-reason';
export const auditDeliveriesOffsetHeader = 'fleethook-deliveries-offset';
export const auditKindHeader = 'fleethook-audit-kind';
export const auditRecoveryKind = 'recovery';
