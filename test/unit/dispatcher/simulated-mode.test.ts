import { describe, expect, it } from 'vitest';
import type { ClosedBatch, PendingItem } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { buildWebhookBody, modeOf } from '../../../services/dispatcher/deliver/build-webhook-request.js';
import { decodeDeliveryItem, encodeDeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { pending, plainSub } from './dispatcher-fixtures.js';

const simulated = (offset: number): PendingItem => {
  const p = pending(offset);
  return { ...p, item: { ...p.item, simulated: true } };
};
const batch = (items: PendingItem[]): ClosedBatch => ({ subscriptionId: 'sub_a', kind: 'dtc', items, reason: 'time' });
const meta = { webhookId: 'msg_x', createdAt: new Date(0), enqueueTime: new Date(0), retryCount: 0, queueDepth: 0, now: new Date(0) };

describe('the body mode of simulated vehicles', () => {
  it.each([
    ['every item simulated', [simulated(1), simulated(2)], 'simulated'],
    ['one real item among simulated ones', [simulated(1), pending(2)], 'live'],
    ['only real items', [pending(1)], 'live'],
    ['no item', [], 'live'],
  ] as const)('%s → %s', (_name, items, mode) => {
    expect(modeOf(batch([...items]))).toBe(mode);
    expect(JSON.parse(buildWebhookBody(plainSub(), batch([...items]), meta))).toMatchObject({ mode });
  });

  it('the flag travels on webhook.deliveries (and a real vehicle\'s item is written as before, without it)', () => {
    const sim = simulated(5).item;
    expect(decodeDeliveryItem(encodeDeliveryItem(sim, sim.dataJson))).toEqual({ kind: 'item', item: sim });
    const real = pending(5).item;
    expect(encodeDeliveryItem(real, real.dataJson).toString()).not.toContain('simulated');
    expect(decodeDeliveryItem(encodeDeliveryItem(real, real.dataJson))).toEqual({ kind: 'item', item: real });
    const forged = Buffer.from(encodeDeliveryItem(real, real.dataJson).toString().replace('"origin"', '"simulated":"yes","origin"'));
    expect(decodeDeliveryItem(forged)).toEqual({ kind: 'item', item: real });
  });
});
