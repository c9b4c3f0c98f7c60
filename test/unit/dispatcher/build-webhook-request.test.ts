import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { ClosedBatch } from '../../../services/dispatcher/batch-accumulator.js';
import { buildWebhookRequest, webhookIdFor } from '../../../services/dispatcher/build-webhook-request.js';
import { decodeDeliveryItem, encodeDeliveryItem, encodeItemHead } from '../../../services/dispatcher/delivery-item.js';
import { endpointData } from '../../../services/dispatcher/telemetry-record.js';
import { pending, plainSub } from './dispatcher-fixtures.js';

const batch = (offsets: number[], partition = 0): ClosedBatch => ({
  subscriptionId: 'sub_a', kind: 'gps', items: offsets.map((o) => pending(o, { partition })), reason: 'time',
});
const meta = { webhookId: 'msg_x', createdAt: new Date('2025-01-01T00:00:00Z'), retryCount: 2, queueDepth: 7, now: new Date() };

describe('webhook requests', () => {
  it('derives the same webhook-id from the same first item, a different one otherwise', () => {
    expect(webhookIdFor('sub_a', batch([5, 6]))).toBe(webhookIdFor('sub_a', batch([5, 6, 7])));
    expect(webhookIdFor('sub_a', batch([5]))).not.toBe(webhookIdFor('sub_a', batch([6])));
    expect(webhookIdFor('sub_a', batch([5], 0))).not.toBe(webhookIdFor('sub_a', batch([5], 1)));
    expect(webhookIdFor('sub_a', batch([5]))).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
  });

  it('builds the JSON head and data in order, signed so an independent verifier accepts it', () => {
    const sub = plainSub();
    const req = buildWebhookRequest(sub, batch([1, 2, 3]), meta);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body).toMatchObject({ id: 'msg_x', type: 'gps', mode: 'live', accountId: sub.accountId, subscriptionId: sub.id, retryCount: 2, queueDepth: 7, version: 1 });
    expect((body.data as { seq: number }[]).map((d) => d.seq)).toEqual([1, 2, 3]);
    expect(req.headers['content-type']).toBe('application/json');
    expect(() => new Webhook(sub.signing.current).verify(req.body, req.headers)).not.toThrow();
  });

  it('writes the same JSON as encoding the whole body at once', () => {
    const sub = plainSub();
    const req = buildWebhookRequest(sub, batch([1, 2]), meta);
    expect(req.body).toBe(JSON.stringify(JSON.parse(req.body)));
  });

  it('form-encodes the head as fields and data as a JSON field', () => {
    const req = buildWebhookRequest(plainSub({ contentType: 'application/x-www-form-urlencoded' }), batch([1, 2]), meta);
    const form = new URLSearchParams(req.body);
    expect(form.get('id')).toBe('msg_x');
    expect(form.get('retryCount')).toBe('2');
    expect((JSON.parse(form.get('data') ?? '[]') as unknown[]).length).toBe(2);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('adds the auth headers of the subscription', () => {
    const req = buildWebhookRequest(plainSub({ auth: { type: 'custom', tokenName: 'X-Token', tokenValue: 't0k' } }), batch([1]), meta);
    expect(req.headers['x-token']).toBe('t0k');
  });
});

describe('delivery items', () => {
  it('round-trip through the topic encoding and reject malformed values', () => {
    const { item } = pending(3);
    expect(decodeDeliveryItem(encodeDeliveryItem(item, item.dataJson))).toEqual({ kind: 'item', item });
    expect(decodeDeliveryItem(Buffer.from('nope')).kind).toBe('invalid');
    expect(decodeDeliveryItem(Buffer.from('{"v":1}')).kind).toBe('invalid');
    expect(decodeDeliveryItem(Buffer.from(`${encodeItemHead(item)}\nnot json`)).kind).toBe('invalid');
    expect(decodeDeliveryItem(Buffer.from(encodeItemHead(item))).kind).toBe('invalid');
  });

  it('still read format 1 (one JSON object with data), written by older instances', () => {
    const { item } = pending(4);
    const { dataJson, ...head } = item;
    const v1 = Buffer.from(JSON.stringify({ v: 1, ...head, data: JSON.parse(dataJson) as unknown }));
    expect(decodeDeliveryItem(v1)).toEqual({ kind: 'item', item });
    expect(decodeDeliveryItem(null).kind).toBe('invalid');
  });

  it('shows endpoints ISO times and leaves absent fields out', () => {
    expect(endpointData({ time: 0, driverId: null, lat: 1 })).toEqual({ time: '1970-01-01T00:00:00.000Z', lat: 1 });
  });
});
