import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { ClosedBatch } from '../../../services/dispatcher/deliver/batch-accumulator.js';
import { buildWebhookRequest, eventNameOf, webhookIdFor } from '../../../services/dispatcher/deliver/build-webhook-request.js';
import type { ItemKind } from '../../../services/dispatcher/delivery-item.js';
import { decodeDeliveryItem, encodeDeliveryItem, encodeItemHead } from '../../../services/dispatcher/delivery-item.js';
import { endpointData } from '../../../services/dispatcher/match/telemetry-record.js';
import { pending, plainSub } from './dispatcher-fixtures.js';

const batch = (offsets: number[], partition = 0, kind: ItemKind = 'gps'): ClosedBatch => ({
  subscriptionId: 'sub_a', kind, items: offsets.map((o) => pending(o, { partition, kind })), reason: 'time',
});
// Recent times: a Standard Webhooks verifier refuses a timestamp more than 5 minutes off.
const t0 = Math.floor(Date.now() / 1_000) * 1_000;
const iso = (offsetMs: number): string => new Date(t0 + offsetMs).toISOString();
const meta = { webhookId: 'msg_x', createdAt: new Date(t0 - 1_000), enqueueTime: new Date(t0 - 3_000), retryCount: 2, queueDepth: 7, now: new Date(t0) };

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
    expect(body).toEqual({
      id: 'msg_x', type: 'gps', eventName: 'gps', version: 1, mode: 'live', accountId: sub.accountId, subscriptionId: sub.id,
      createdAt: iso(-1_000), enqueueTime: iso(-3_000), requestTime: iso(0), retryCount: 2, queueDepth: 7, data: body.data,
    });
    expect((body.data as { seq: number }[]).map((d) => d.seq)).toEqual([1, 2, 3]);
    expect(req.headers['content-type']).toBe('application/json');
    expect(() => new Webhook(sub.signing.current).verify(req.body, req.headers)).not.toThrow();
  });

  it('sends, signs and logs the UTF-8 bytes of exactly that body (also with characters beyond ASCII)', () => {
    const sub = plainSub({ accountId: 'acc_ü' });
    const items = batch([1, 2]).items.map((p, i) => ({ ...p, item: { ...p.item, dataJson: JSON.stringify({ seq: i, note: 'Straße 😀 \u2028' }) } }));
    const req = buildWebhookRequest(sub, { ...batch([1, 2]), items }, meta);
    expect(req.bytes.equals(Buffer.from(req.body, 'utf8'))).toBe(true);
    expect(req.bytes.toString('utf8')).toBe(req.body);
    expect(() => new Webhook(sub.signing.current).verify(req.bytes.toString('utf8'), req.headers)).not.toThrow();
    expect(() => new Webhook(sub.signing.current).verify(req.body.replace('Straße', 'Strasse'), req.headers)).toThrow();
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
    expect(form.get('eventName')).toBe('gps');
    expect(form.get('enqueueTime')).toBe(iso(-3_000));
    expect(form.get('requestTime')).toBe(iso(0));
    expect((JSON.parse(form.get('data') ?? '[]') as unknown[]).length).toBe(2);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it.each([['gps', 'gps'], ['dtc', 'dtc'], ['event', 'eventBased']] as const)('names %s items %s', (kind, eventName) => {
    const json = JSON.parse(buildWebhookRequest(plainSub(), batch([1], 0, kind), meta).body) as Record<string, unknown>;
    expect(json).toMatchObject({ type: kind, eventName });
    expect(eventNameOf(kind)).toBe(eventName);
    const form = new URLSearchParams(buildWebhookRequest(plainSub({ contentType: 'application/x-www-form-urlencoded' }), batch([1], 0, kind), meta).body);
    expect(form.get('eventName')).toBe(eventName);
  });

  it('gives a retry the same webhook-id, data and enqueue time, its own request time, and signs each attempt\'s body', () => {
    const sub = plainSub();
    const first = buildWebhookRequest(sub, batch([4, 5]), { ...meta, retryCount: 0 });
    const retry = buildWebhookRequest(sub, batch([4, 5]), { ...meta, retryCount: 1, now: new Date(t0 + 2_000) });
    const [a, b] = [first, retry].map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(b).toEqual({ ...a, requestTime: iso(2_000), retryCount: 1 });
    for (const r of [first, retry]) expect(() => new Webhook(sub.signing.current).verify(r.body, r.headers)).not.toThrow();
    expect(() => new Webhook(sub.signing.current).verify(retry.body, first.headers)).toThrow();
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
