import { describe, expect, it } from 'vitest';
import { parseMark } from '../../../services/dispatcher/delivered-marks.js';

describe('parseMark (dedupe mark values in Redis)', () => {
  it('reads a mark with the telemetry origin of the last delivered item', () => {
    expect(parseMark('41|3|9001|fh.telemetry.gps')).toEqual({ offset: 41, origin: { topic: 'fh.telemetry.gps', partition: 3, offset: '9001' } });
  });

  it('reads an older mark without an origin', () => {
    expect(parseMark('41')).toEqual({ offset: 41, origin: null });
  });

  it.each([[null], [undefined], [''], ['-1'], ['x|1|2|t'], ['41|3|9001'], ['41|a|9001|t']])('treats %j as unknown', (raw) => {
    expect(parseMark(raw)).toEqual({ offset: -1, origin: null });
  });
});
