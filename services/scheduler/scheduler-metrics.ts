import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const slotOutcomes = ['written', 'redone', 'too_large'] as const;
export type SlotOutcome = (typeof slotOutcomes)[number];

export interface SchedulerMetrics {
  readonly registry: Registry;
  /** Slots finished, by outcome (bounded label). */
  readonly slots: Counter<'outcome'>;
  /** Requests (slot parts) written to webhook.deliveries. */
  readonly parts: Counter;
  /** 1 while this instance is the active scheduler. */
  readonly active: Gauge;
}

export function createSchedulerMetrics(options: { defaultMetrics: boolean }): SchedulerMetrics {
  const registry = new Registry();
  const p = 'fleethook_scheduler_';
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  return {
    registry,
    slots: new Counter({ name: `${p}slots_total`, help: 'Slots finished, by outcome', labelNames: ['outcome'], registers: [registry] }),
    parts: new Counter({ name: `${p}parts_total`, help: 'Scheduled requests (slot parts) written to webhook.deliveries', registers: [registry] }),
    active: new Gauge({ name: `${p}active`, help: '1 while this instance is the active scheduler', registers: [registry] }),
  };
}
