import { describe, expect, it } from 'vitest';
import { PauseReasons } from '../../../../services/shared/kafka/pause-reasons.js';

describe('PauseReasons', () => {
  it('pauses a partition on its first reason only, and resumes it when its last reason is lifted', () => {
    const p = new PauseReasons();
    expect(p.pause('t', [0, 1], 'back-pressure')).toEqual({ topic: 't', pause: [0, 1], resume: [] });
    expect(p.pause('t', [1, 2], 'scan')).toEqual({ topic: 't', pause: [2], resume: [] });
    // Lifting back-pressure must not release partition 1: the scan still holds it.
    expect(p.resume('t', [0, 1], 'back-pressure')).toEqual({ topic: 't', pause: [], resume: [0] });
    expect(p.isPaused('t', 1)).toBe(true);
    expect(p.has('t', 1, 'scan')).toBe(true);
    expect(p.has('t', 1, 'back-pressure')).toBe(false);
    expect(p.resume('t', [1, 2], 'scan')).toEqual({ topic: 't', pause: [], resume: [1, 2] });
    expect(p.count()).toBe(0);
  });

  it('keeps topics apart: the same partition number on another topic is another partition', () => {
    const p = new PauseReasons();
    p.pause('deliveries', [3], 'closing');
    expect(p.isPaused('parked', 3)).toBe(false);
    expect(p.resume('parked', [3], 'closing').resume).toEqual([]);
    expect(p.isPaused('deliveries', 3)).toBe(true);
  });

  it('ignores bad input: a reason never given, a partition never paused, a reason given twice', () => {
    const p = new PauseReasons();
    expect(p.resume('t', [0], 'nothing').resume).toEqual([]);
    p.pause('t', [0], 'r');
    expect(p.pause('t', [0], 'r').pause).toEqual([]);
    expect(p.resume('t', [0], 'other').resume).toEqual([]);
    expect(p.isPaused('t', 0)).toBe(true);
    // Given twice, lifted once: a reason is a set member, not a counter.
    expect(p.resume('t', [0], 'r').resume).toEqual([0]);
    expect(p.pause('t', [], 'r')).toEqual({ topic: 't', pause: [], resume: [] });
  });

  it('counts partitions per reason, and clear() hands back everything paused per topic (a new generation resumes it)', () => {
    const p = new PauseReasons();
    p.pause('a', [0, 1], 'x');
    p.pause('a', [1], 'y');
    p.pause('b', [4], 'y');
    expect(p.count('x')).toBe(2);
    expect(p.count('y')).toBe(2);
    expect(p.count()).toBe(3);
    expect(p.clear()).toEqual(new Map([['a', [0, 1]], ['b', [4]]]));
    expect(p.count()).toBe(0);
    expect(p.isPaused('a', 1)).toBe(false);
    // After a clear, a reason from the old generation lifts nothing.
    expect(p.resume('a', [1], 'y').resume).toEqual([]);
  });
});
