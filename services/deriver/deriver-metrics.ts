import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export const pointOutcomes = ['applied', 'replayed', 'out_of_order', 'malformed'] as const;
export type PointOutcome = (typeof pointOutcomes)[number];

export interface DeriverMetrics {
  readonly registry: Registry;
  /** GPS points read, by what became of them (bounded label). */
  readonly points: Counter<'outcome'>;
  /** Derived events written, by event type (the closed list of the schema). */
  readonly events: Counter<'type'>;
  /** Derived events the rules produced but the telemetry rules refused (a bug; never written). */
  readonly invalidEvents: Counter;
}

export function createDeriverMetrics(options: { defaultMetrics: boolean }): DeriverMetrics {
  const registry = new Registry();
  const p = 'fleethook_deriver_';
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  return {
    registry,
    points: new Counter({ name: `${p}points_total`, help: 'GPS points read, by outcome', labelNames: ['outcome'], registers: [registry] }),
    events: new Counter({ name: `${p}events_total`, help: 'Derived events written to telemetry.events, by type', labelNames: ['type'], registers: [registry] }),
    invalidEvents: new Counter({ name: `${p}invalid_events_total`, help: 'Derived events refused by the telemetry rules (not written)', registers: [registry] }),
  };
}
