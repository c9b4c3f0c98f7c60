import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { checkSubscription, summariseItems, verdictClean } from '../../../test/helpers/delivery-invariants.js';
import type { SubscriptionEvidence } from '../../../test/helpers/delivery-invariants.js';
import { parseDelivery, signatureValid } from '../../../test/helpers/webhook-delivery.js';
import type { ParsedDelivery } from '../../../test/helpers/webhook-delivery.js';
import type { RecordedRequest } from '../../../test/helpers/webhook-receiver.js';

const delivery = (webhookId: string, items: [string, number][], signatureValid = true): ParsedDelivery => ({
  webhookId, subscriptionId: 'sub_1', type: 'gps', receivedAt: 0, signatureValid, items: items.map(([vehicleId, seq]) => ({ vehicleId, seq, recordTimeMs: 0 })),
});
const expected = (items: [string, number][], publishedAtMs = 0): SubscriptionEvidence['expected'] => items.map(([vehicleId, seq]) => ({ vehicleId, seq, publishedAtMs }));
const evidence = (over: Partial<SubscriptionEvidence>): SubscriptionEvidence => ({
  subscriptionId: 'sub_1', orderScope: 'vehicle', expected: [], uncertain: new Set(), accepted: [], received: [], audited: new Set(), ...over,
});

describe('checkSubscription', () => {
  it('is clean when every item arrived once, in order', () => {
    const accepted = [delivery('msg_a', [['v1', 1], ['v1', 2]]), delivery('msg_b', [['v1', 3], ['v2', 1]])];
    const v = checkSubscription(evidence({ expected: expected([['v1', 1], ['v1', 2], ['v1', 3], ['v2', 1]]), accepted, received: accepted }));
    expect(verdictClean(v)).toBe(true);
    expect(v).toMatchObject({ expected: 4, delivered: 4, repeats: 0 });
  });

  it('names lost items, but not audited ones nor those published after the deactivation', () => {
    const v = checkSubscription(evidence({
      expected: [...expected([['v1', 1], ['v1', 2], ['v1', 3]], 100), ...expected([['v1', 4]], 900)],
      accepted: [delivery('msg_a', [['v1', 1]])], audited: new Set(['v1#2']), deactivatedAtMs: 500,
    }));
    expect(v.missing.map((m) => m.seq)).toEqual([3]);
    expect(v.audited).toBe(1);
    expect(verdictClean(v)).toBe(false);
  });

  it('does not require an item of a deactivated subscription that the match stage never sent to it, but counts it', () => {
    const base = { expected: expected([['v1', 1], ['v1', 2]], 100), accepted: [], audited: new Set(['v1#1']), deactivatedAtMs: 500 };
    const v = checkSubscription(evidence({ ...base, matched: new Set(['v1#1']) }));
    expect(v.missing).toEqual([]);
    expect(v.unmatchedBeforeDeactivation).toBe(1);
    // Matched but neither delivered nor audited: lost.
    expect(checkSubscription(evidence({ ...base, matched: new Set(['v1#1', 'v1#2']) })).missing.map((m) => m.seq)).toEqual([2]);
  });

  it('allows repeats with the same webhook-id and flags repeats under a new one', () => {
    const same = checkSubscription(evidence({ expected: expected([['v1', 1]]), accepted: [delivery('msg_a', [['v1', 1]]), delivery('msg_a', [['v1', 1]])] }));
    expect(same).toMatchObject({ repeats: 1, idChanges: [] });
    expect(verdictClean(same)).toBe(true);
    const changed = checkSubscription(evidence({ expected: expected([['v1', 1]]), accepted: [delivery('msg_a', [['v1', 1]]), delivery('msg_b', [['v1', 1]])] }));
    expect(changed.idChanges).toHaveLength(1);
    // Each of the two requests with its arrival time and its items, to find it in the dispatchers' logs.
    expect(changed.idChanges[0]).toMatch(/^v1#1: msg_a \(\d\d:\d\d:\d\d\.\d{3}, 1 items v1#1\.\.v1#1\) then msg_b \(\d\d:\d\d:\d\d\.\d{3}, 1 items v1#1\.\.v1#1\)$/);
  });

  it('checks per-vehicle order on first copies: a redelivered old batch is no break, a newer item before an older one is', () => {
    const redelivered = [delivery('msg_a', [['v1', 1]]), delivery('msg_b', [['v1', 2]]), delivery('msg_a', [['v1', 1]])];
    expect(checkSubscription(evidence({ expected: expected([['v1', 1], ['v1', 2]]), accepted: redelivered })).orderBreaks).toEqual([]);
    const swapped = [delivery('msg_a', [['v1', 2], ['v2', 1]]), delivery('msg_b', [['v1', 1]])];
    expect(checkSubscription(evidence({ expected: expected([['v1', 1], ['v1', 2], ['v2', 1]]), accepted: swapped })).orderBreaks).toEqual(['v1#1 after v1#2']);
  });

  it('checks subscription order against the reference order (DTC)', () => {
    const accepted = [delivery('msg_a', [['v2', 1], ['v1', 1]])];
    const base = { orderScope: 'subscription' as const, expected: expected([['v1', 1], ['v2', 1]]), accepted };
    expect(checkSubscription(evidence({ ...base, referenceOrder: ['v2#1', 'v1#1'] })).orderBreaks).toEqual([]);
    expect(checkSubscription(evidence({ ...base, referenceOrder: ['v1#1', 'v2#1'] })).orderBreaks).toEqual(['v1#1 after v2#1']);
  });

  it('counts bad signatures on every request received, and items nobody published', () => {
    const v = checkSubscription(evidence({
      expected: expected([['v1', 1]]), uncertain: new Set(['v1#2']),
      accepted: [delivery('msg_a', [['v1', 1], ['v1', 2], ['v9', 9]])], received: [delivery('msg_x', [['v1', 1]], false), delivery('msg_a', [['v1', 1]])],
    }));
    expect(v.badSignatures).toBe(1);
    expect(v.unexpected).toEqual(['v9#9']);
  });
});

describe('summariseItems', () => {
  it('groups by vehicle with ranges', () => {
    expect(summariseItems([{ vehicleId: 'v2', seq: 1 }, { vehicleId: 'v1', seq: 3 }, { vehicleId: 'v1', seq: 4 }, { vehicleId: 'v1', seq: 5 }, { vehicleId: 'v1', seq: 9 }])).toBe('v1 3-5,9; v2 1');
    expect(summariseItems([{ vehicleId: 'a', seq: 1 }, { vehicleId: 'b', seq: 1 }], 1)).toBe('a 1; … 1 more vehicles');
  });
});

describe('parseDelivery', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const request = (body: string, contentType: string, id = 'msg_1', sign = true): RecordedRequest => {
    const ts = Math.floor(Date.now() / 1000);
    const signature = sign ? new Webhook(secret).sign(id, new Date(ts * 1000), body) : 'v1,AAAA';
    return { method: 'POST', path: '/hook', headers: { 'content-type': contentType, 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,zzzz ${signature}` }, body: Buffer.from(body), text: body, receivedAt: 5 };
  };
  const items = [{ vehicleId: 'v1', seq: 1, time: '2026-01-01T00:00:00.000Z' }];

  it('reads JSON and form bodies and verifies their signatures with standardwebhooks', () => {
    const json = parseDelivery(request(JSON.stringify({ id: 'msg_1', subscriptionId: 'sub_1', type: 'gps', data: items }), 'application/json'), secret);
    expect(json).toMatchObject({ kind: 'ok', delivery: { webhookId: 'msg_1', subscriptionId: 'sub_1', signatureValid: true, items: [{ vehicleId: 'v1', seq: 1, recordTimeMs: Date.parse('2026-01-01T00:00:00.000Z') }] } });
    const form = new URLSearchParams({ id: 'msg_1', subscriptionId: 'sub_1', type: 'dtc', data: JSON.stringify(items) }).toString();
    expect(parseDelivery(request(form, 'application/x-www-form-urlencoded'), secret)).toMatchObject({ kind: 'ok', delivery: { type: 'dtc', signatureValid: true } });
  });

  it('flags a wrong signature, a body id that differs from webhook-id, and unreadable bodies', () => {
    const body = JSON.stringify({ id: 'msg_1', subscriptionId: 'sub_1', type: 'gps', data: items });
    expect(parseDelivery(request(body, 'application/json', 'msg_1', false), secret)).toMatchObject({ kind: 'ok', delivery: { signatureValid: false } });
    expect(parseDelivery(request(body, 'application/json', 'msg_2'), secret)).toMatchObject({ kind: 'invalid' });
    expect(parseDelivery(request('{not json', 'application/json'), secret)).toEqual({ kind: 'invalid', reason: 'body does not parse' });
    expect(parseDelivery(request(JSON.stringify({ id: 'msg_1', data: [{ seq: 1 }] }), 'application/json'), secret)).toEqual({ kind: 'invalid', reason: 'an item lacks vehicleId or seq' });
    expect(signatureValid(secret, {}, body)).toBe(false);
  });
});
