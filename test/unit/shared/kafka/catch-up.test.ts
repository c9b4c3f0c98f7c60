import { describe, expect, it } from 'vitest';
import { CatchUp } from '../../../../services/shared/kafka/catch-up.js';

describe('CatchUp (read a partition up to an offset before going live)', () => {
  it('holds a partition until its target is known and reached', () => {
    const c = new CatchUp();
    c.hold(0);
    expect(c.isCatchingUp(0)).toBe(true);
    expect(c.advance(0, 5n)).toBe(false);
    expect(c.expect(0, 0n, 10n)).toBe(false);
    expect(c.target(0)).toBe(10n);
    expect(c.advance(0, 9n)).toBe(false);
    expect(c.advance(0, 10n)).toBe(true);
    expect(c.isCatchingUp(0)).toBe(false);
    // Live stays live.
    expect(c.advance(0, 11n)).toBe(false);
  });

  it('is live at once when there is nothing to read, or it already read that far', () => {
    const c = new CatchUp();
    expect(c.expect(1, 7n, 7n)).toBe(true);
    expect(c.expect(2, 9n, 3n)).toBe(true);
    c.advance(3, 20n);
    c.hold(3);
    expect(c.expect(3, 0n, 15n)).toBe(true);
    expect(c.isCatchingUp(3)).toBe(false);
  });

  it('release makes a partition live without reading (target not learnt); drop forgets it', () => {
    const c = new CatchUp();
    c.hold(0);
    expect(c.release(0)).toBe(true);
    expect(c.release(0)).toBe(false);
    c.advance(0, 4n);
    c.drop(0);
    expect(c.position(0)).toBe(0n);
  });

  it('never moves a position back (a rewind or a record read twice)', () => {
    const c = new CatchUp();
    c.advance(0, 10n);
    c.advance(0, 3n);
    expect(c.position(0)).toBe(10n);
  });

  it('resolves a wait once every partition reached its target, and rejects one that times out', async () => {
    const c = new CatchUp();
    const both = c.waitFor(new Map([[0, 2n], [1, 1n]]), 5_000, () => new Error('late'));
    let done = false;
    void both.then(() => (done = true));
    c.advance(0, 2n);
    await Promise.resolve();
    expect(done).toBe(false);
    c.advance(1, 1n);
    await both;
    expect(c.reached(new Map([[0, 2n], [1, 1n]]))).toBe(true);
    await expect(c.waitFor(new Map([[5, 1n]]), 10, () => new Error('CATALOGUE_LAGGING'))).rejects.toThrow('CATALOGUE_LAGGING');
    await expect(c.waitFor(new Map(), 10, () => new Error('never'))).resolves.toBeUndefined();
  });
});
