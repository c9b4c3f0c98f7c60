import { describe, expect, it } from 'vitest';
import { mergeOrigins, parseMark } from '../../../services/dispatcher/live/delivered-marks.js';

describe('parseMark (dedupe mark values in Redis)', () => {
  it('reads a mark with the telemetry origin of the last delivered item', () => {
    expect(parseMark('41|3|9001|fh.telemetry.gps')).toEqual({ offset: 41, origins: [{ topic: 'fh.telemetry.gps', partition: 3, offset: '9001' }] });
  });

  it('reads a mark with one origin per telemetry partition (a stream mixing partitions)', () => {
    expect(parseMark('41|3|9001|fh.telemetry.dtc|0|17|fh.telemetry.dtc|2|5|fh.telemetry.events')).toEqual({
      offset: 41,
      origins: [
        { topic: 'fh.telemetry.dtc', partition: 3, offset: '9001' },
        { topic: 'fh.telemetry.dtc', partition: 0, offset: '17' },
        { topic: 'fh.telemetry.events', partition: 2, offset: '5' },
      ],
    });
  });

  it('reads an older mark without an origin', () => {
    expect(parseMark('41')).toEqual({ offset: 41, origins: [] });
  });

  it.each([[null], [undefined], [''], ['-1'], ['x|1|2|t'], ['41|3|9001'], ['41|a|9001|t'], ['41|3|9001|t|4']])('treats %j as unknown', (raw) => {
    expect(parseMark(raw)).toEqual({ offset: -1, origins: [] });
  });
});

describe('mergeOrigins', () => {
  it('keeps the highest offset per topic and partition', () => {
    const t = 'fh.telemetry.dtc';
    expect(mergeOrigins(
      [{ topic: t, partition: 0, offset: '10' }, { topic: t, partition: 1, offset: '99' }],
      [{ topic: t, partition: 0, offset: '9' }, { topic: t, partition: 0, offset: '12' }, { topic: t, partition: 2, offset: '1' }],
    )).toEqual([{ topic: t, partition: 0, offset: '12' }, { topic: t, partition: 1, offset: '99' }, { topic: t, partition: 2, offset: '1' }]);
  });

  it('keeps the highest per topic and partition when a request\'s items alternate between them', () => {
    const [t, u] = ['fh.telemetry.dtc', 'fh.telemetry.events'];
    const o = (topic: string, partition: number, offset: string): { topic: string; partition: number; offset: string } => ({ topic, partition, offset });
    expect(mergeOrigins([], [o(t, 0, '5'), o(t, 1, '3'), o(t, 0, '7'), o(t, 0, '6'), o(u, 0, '100'), o(t, 1, '2'), o(u, 0, '99'), o(t, 1, '4')]))
      .toEqual([o(t, 0, '7'), o(t, 1, '4'), o(u, 0, '100')]);
  });
});
