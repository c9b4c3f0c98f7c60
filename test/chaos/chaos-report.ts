import { summariseItems, verdictClean } from '../helpers/delivery-invariants.js';
import type { ExpectedItem, SubscriptionVerdict } from '../helpers/delivery-invariants.js';
import type { LatencyFigure } from './failover-latency.js';

export interface SubscriptionRow {
  readonly name: string;
  readonly role: string;
  readonly kind: string;
  readonly contentType: string;
  readonly verdict: SubscriptionVerdict;
  /** Dispatcher log lines naming the subscription, shown with its violations. */
  readonly logLines: readonly string[];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (n: number): string => (Number.isFinite(n) ? `${(n / 1000).toFixed(2)} s` : '-');

export function subscriptionTable(rows: readonly SubscriptionRow[]): string {
  return table(
    ['subscription', 'role', 'content', 'expected', 'delivered', 'audited', 'unmatched*', 'repeats', 'lost', 'order', 'id-chg', 'bad-sig', 'unexp', 'verdict'],
    rows.map((r) => {
      const v = r.verdict;
      return [
        `${r.name} ${v.subscriptionId}`, r.role, r.contentType === 'application/json' ? 'json' : 'form', String(v.expected), String(v.delivered), String(v.audited), String(v.unmatchedBeforeDeactivation), String(v.repeats),
        String(v.missing.length), String(v.orderBreaks.length), String(v.idChanges.length), String(v.badSignatures), String(v.unexpected.length),
        verdictClean(v) ? 'ok' : 'VIOLATION',
      ];
    }),
  ) + '\n* unmatched: items of a deactivated subscription published before its first 410 but matched after the deactivation applied (not required)';
}

export function latencyTable(figures: readonly LatencyFigure[]): string {
  return table(
    ['failover window', 'items', 'p50', 'p99', 'max', 'judged', 'limit', 'verdict'],
    figures.map((f) => [f.label, String(f.samples), ms(f.p50Ms), ms(f.p99Ms), ms(f.maxMs), ms(f.judgedMs), f.limit,
      f.samples === 0 ? 'no items' : f.overloaded ? 'overloaded: not judged' : f.loadBurst ? 'load burst: not judged' : f.brokerStop ? 'broker stop: not judged' : f.violation ? 'VIOLATION' : 'ok']),
  );
}

/** The detail a maintainer needs per violating subscription: which items, when published, what the logs said. */
export function violationDetails(seed: number, rows: readonly SubscriptionRow[], published: (subscriptionId: string, items: readonly ExpectedItem[]) => string): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const v = r.verdict;
    if (verdictClean(v)) continue;
    const lines = [`seed ${seed}, ${r.name} (${r.kind}, ${r.contentType}) ${v.subscriptionId}:`];
    if (v.missing.length > 0) lines.push(`  lost ${v.missing.length} of ${v.expected}: ${summariseItems(v.missing)}`, `  ${published(v.subscriptionId, v.missing)}`);
    if (v.orderBreaks.length > 0) lines.push(`  order broken ${v.orderBreaks.length}x: ${v.orderBreaks.slice(0, 8).join(', ')}`);
    if (v.idChanges.length > 0) lines.push(`  repeated under a new webhook-id ${v.idChanges.length}x: ${v.idChanges.slice(0, 4).join('; ')}`);
    if (v.badSignatures > 0) lines.push(`  ${v.badSignatures} requests with an invalid signature`);
    if (v.unexpected.length > 0) lines.push(`  ${v.unexpected.length} items nobody published for it: ${v.unexpected.slice(0, 8).join(', ')}`);
    if (r.logLines.length > 0) lines.push('  dispatcher log lines naming it (last 15):', ...r.logLines.slice(-15).map((l) => `    ${l.slice(0, 400)}`));
    out.push(lines.join('\n'));
  }
  return out;
}
