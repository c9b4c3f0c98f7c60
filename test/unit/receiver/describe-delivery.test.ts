import { describe, expect, it } from 'vitest';
import { describeDelivery } from '../../../services/receiver/describe-delivery.js';

const json = 'application/json';
const form = 'application/x-www-form-urlencoded';

describe('describeDelivery', () => {
  it.each<[string, string, string, Partial<ReturnType<typeof describeDelivery>>]>([
    ['an event body lists each item as type(origin)', JSON.stringify({ id: 'msg_1', type: 'event', mode: 'live', data: [{ type: 'speeding', origin: 'derived' }, { type: 'dvir' }] }), json,
      { id: 'msg_1', type: 'event', itemCount: 2, events: ['speeding(derived)', 'dvir'] }],
    ['a form-encoded event body too', new URLSearchParams({ type: 'event', data: JSON.stringify([{ type: 'idle', origin: 'derived' }]) }).toString(), form,
      { type: 'event', itemCount: 1, events: ['idle(derived)'] }],
    ['a GPS body lists no events', JSON.stringify({ type: 'gps', data: [{ type: 'x' }] }), json, { type: 'gps', itemCount: 1, events: [] }],
    ['event items without a string type are left out', JSON.stringify({ type: 'event', data: [null, 7, { type: 3 }, { type: 'heartbeat', origin: 1 }] }), json,
      { itemCount: 4, events: ['heartbeat'] }],
    ['a body that is not JSON', '{', json, { type: null, itemCount: null, events: [] }],
    ['event data that is not a list', JSON.stringify({ type: 'event', data: 'x' }), json, { itemCount: null, events: [] }],
  ])('%s', (_what, body, contentType, expected) => {
    expect(describeDelivery(body, contentType)).toMatchObject(expected);
  });
});
