import { describe, expect, it } from 'vitest';
import { buildDeadLetter } from '../../../services/dispatcher/match/dead-letter.js';
import { messageBytes } from '../../../services/shared/kafka-message-size.js';

const origin = { topic: 'telemetry.gps', partition: 2, offset: '12345' };

describe('buildDeadLetter', () => {
  it('keeps key and value whole with the reason and origin when they fit', () => {
    const { message, truncated } = buildDeadLetter({ key: Buffer.from('veh_1'), value: Buffer.from('not avro') }, origin, 'magic byte 110, expected 0', 10_000);
    expect(truncated).toBe(false);
    expect(message).toEqual({
      key: Buffer.from('veh_1'), value: Buffer.from('not avro'),
      headers: { 'fleethook-deadletter-reason': 'magic byte 110, expected 0', 'fleethook-origin-topic': 'telemetry.gps', 'fleethook-origin-partition': '2', 'fleethook-origin-offset': '12345' },
    });
  });

  it.each([
    ['a value just under the budget', 1_048_076 - 190, 1_048_076],
    ['a value far over the budget', 5_000_000, 100_000],
    ['a value exactly the budget', 4_096, 4_096],
  ])('cuts %s so the dead letter fits, and says what was cut', (_, valueBytes, budget) => {
    const value = Buffer.alloc(valueBytes, 7);
    const { message, truncated } = buildDeadLetter({ key: Buffer.from('veh_big'), value }, origin, 'magic byte 7, expected 0', budget);
    expect(truncated).toBe(true);
    expect(messageBytes(message)).toBeLessThanOrEqual(budget);
    expect(message.value?.equals(value.subarray(0, message.value.length))).toBe(true);
    expect(message.headers).toMatchObject({ 'fleethook-deadletter-truncated': 'true', 'fleethook-original-value-bytes': String(valueBytes), 'fleethook-origin-offset': '12345' });
  });

  it('cuts an oversized key and a very long reason too', () => {
    const { message } = buildDeadLetter({ key: Buffer.alloc(50_000, 1), value: Buffer.alloc(200_000, 2) }, origin, 'x'.repeat(10_000), 100_000);
    expect(message.key?.length).toBe(1_024);
    expect(message.value?.length).toBeGreaterThan(95_000);
    expect(message.headers['fleethook-original-key-bytes']).toBe('50000');
    expect(message.headers['fleethook-deadletter-reason']).toHaveLength(1_001);
  });

  it.each([2_000, 600])('still fits a budget of %i bytes, keeping the origin', (budget) => {
    const { message } = buildDeadLetter({ key: Buffer.alloc(50_000, 1), value: Buffer.alloc(10, 2) }, origin, 'é'.repeat(10_000), budget);
    expect(messageBytes(message)).toBeLessThanOrEqual(budget);
    expect(message.headers).toMatchObject({ 'fleethook-origin-topic': 'telemetry.gps', 'fleethook-origin-offset': '12345' });
  });

  it('keeps a null value (tombstone) null', () => {
    expect(buildDeadLetter({ key: null, value: null }, origin, 'null value', 1_000).message.value).toBeNull();
  });
});
