import { describe, expect, it } from 'vitest';
import { compareOffsets } from '../../../services/dispatcher/live/offset-order.js';

describe('compareOffsets', () => {
  it('orders decimal offsets as BigInt does, up to int64 and with leading zeros', () => {
    const values = ['0', '1', '9', '10', '11', '99', '100', '007', '0010', '00', '9007199254740991', '9007199254740993', '9223372036854775807', '12345678901234567890'];
    for (const a of values) {
      for (const b of values) {
        expect(Math.sign(compareOffsets(a, b)), `${a} vs ${b}`).toBe(Math.sign(Number(BigInt(a) - BigInt(b))));
      }
    }
  });
});
