import { describe, expect, it } from 'vitest';
import type { DeliveryItem } from '../../../services/dispatcher/delivery-item.js';
import { nextChunkEnd, planChunkRequests, replayWebhookId } from '../../../services/dispatcher/replay/replay-plan.js';

const item = (vehicleId: string, offset: number, kind: DeliveryItem['kind'] = 'gps'): DeliveryItem => ({
  subscriptionId: 'sub_1', kind, vehicleId, seq: offset, recordTimeMs: 0, origin: { topic: 't.gps', partition: 2, offset: String(offset) }, dataJson: `{"o":${offset}}`,
});

describe('planChunkRequests', () => {
  it('cuts GPS into requests of one vehicle each, in order per vehicle, at most maxItems', () => {
    const items = [item('a', 1), item('b', 2), item('a', 3), item('a', 4), item('b', 5), item('a', 6)];
    const plans = planChunkRequests('rpl_1', 'gps', items, 2);
    expect(plans.map((p) => p.items.map((i) => `${i.vehicleId}${i.origin.offset}`))).toEqual([['a1', 'a3'], ['a4', 'a6'], ['b2', 'b5']]);
  });

  it('keeps the partition order across vehicles for DTC and events', () => {
    const items = [item('a', 1, 'dtc'), item('b', 2, 'dtc'), item('a', 3, 'dtc')];
    expect(planChunkRequests('rpl_1', 'dtc', items, 2).map((p) => p.items.map((i) => i.origin.offset))).toEqual([['1', '2'], ['3']]);
  });

  it('is deterministic (a resume skips the requests delivered) and gives no request for no items; maxItems below 1 is 1', () => {
    const items = [item('a', 1), item('a', 2), item('b', 3)];
    expect(planChunkRequests('rpl_1', 'gps', items, 2)).toEqual(planChunkRequests('rpl_1', 'gps', items, 2));
    expect(planChunkRequests('rpl_1', 'gps', [], 2)).toEqual([]);
    expect(planChunkRequests('rpl_1', 'gps', items, 0)).toHaveLength(3);
  });
});

describe('replayWebhookId', () => {
  it('depends on the replay and the first item\'s telemetry origin only', () => {
    const a = replayWebhookId('rpl_1', item('a', 7));
    expect(a).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
    expect(replayWebhookId('rpl_1', { ...item('a', 7), dataJson: '{}' })).toBe(a);
    expect(replayWebhookId('rpl_2', item('a', 7))).not.toBe(a);
    expect(replayWebhookId('rpl_1', item('a', 8))).not.toBe(a);
  });
});

describe('nextChunkEnd', () => {
  it('cuts at start + size, never past the end', () => {
    expect(nextChunkEnd(10n, 100n, 50)).toBe(60n);
    expect(nextChunkEnd(80n, 100n, 50)).toBe(100n);
  });
});
