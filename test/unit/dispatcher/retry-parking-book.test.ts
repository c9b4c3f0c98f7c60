import { describe, expect, it } from 'vitest';
import { ParkingBook, unknownEpisode } from '../../../services/dispatcher/parking/parking-book.js';

const sub = 'sub_a';
const other = 'sub_b';

/** sub_a parked by episode pke_1: begin marker at parked offset 10, head through deliveries offset 100. */
function parkedBook(): ParkingBook {
  const book = new ParkingBook();
  book.begin(sub, { episodeId: 'pke_1', markerOffset: 10n, headOffsets: [100] });
  return book;
}

describe('parking book: a parked subscription', () => {
  it('begins parked with the cursor on its marker and counts the items read while parked', () => {
    const book = parkedBook();
    expect(book.get(sub)).toEqual({ episodeId: 'pke_1', phase: 'parked', cursor: 10n, seenThrough: 10n, queuedThrough: 10n, passedThrough: 10n, persisted: 10n, rereadAt: null, backlog: 0, inHead: new Set(), beginAt: 10n, recovery: null });
    expect(book.item(sub, 11n, 101)).toBe('count');
    expect(book.item(sub, 12n, 102)).toBe('count');
    // Read again after a seek: still parked, not counted twice.
    expect(book.item(sub, 11n, 101)).toBe('count');
    expect(book.get(sub)).toMatchObject({ phase: 'parked', cursor: 10n, seenThrough: 12n, backlog: 2 });
    expect(book.complete(sub)).toBe(false);
    expect(book.size).toBe(1);
    expect([...book.entries()].map(([id]) => id)).toEqual([sub]);
  });

  it('the same begin read back again changes nothing', () => {
    const book = parkedBook();
    book.item(sub, 11n, 101);
    book.begin(sub, { episodeId: 'pke_1', markerOffset: 10n, headOffsets: [100] });
    expect(book.get(sub)).toMatchObject({ cursor: 10n, seenThrough: 11n, backlog: 1 });
  });

  it('routeLive skips exactly the live items a previous owner put in the head or backlog, once each', () => {
    const book = parkedBook();
    book.item(sub, 11n, 103, true);
    expect(book.routeLive(sub, 99)).toBe('take');
    expect(book.routeLive(sub, 100)).toBe('skip');
    expect(book.routeLive(sub, 101)).toBe('take');
    expect(book.routeLive(other, 102)).toBe('take');
    expect(book.routeLive(sub, 103)).toBe('skip');
    // Read once: nothing is read twice in one generation.
    expect(book.routeLive(sub, 103)).toBe('take');
  });

  it('after a crash, items below the highest parked offset that were still in open batches (other vehicles) are taken, not lost', () => {
    // GPS: vehicle b's batch (deliveries 120, 140) was appended before the crash; vehicle a's items 105, 125 and 145 were in an open batch.
    const book = new ParkingBook();
    book.liveFrom(100);
    book.begin(sub, { episodeId: 'pke_1', markerOffset: 10n, headOffsets: [100] });
    book.item(sub, 11n, 120, true);
    book.item(sub, 12n, 140, true);
    expect([100, 105, 120, 125, 140, 145].map((o) => book.routeLive(sub, o))).toEqual(['skip', 'take', 'skip', 'take', 'skip', 'take']);
  });

  it('items this owner read live before they were read back from webhook.parked (its own appends) are not remembered', () => {
    const book = parkedBook();
    expect(book.routeLive(sub, 101)).toBe('take');
    book.appended(sub, 11n, 1);
    book.item(sub, 11n, 101);
    expect(book.routeLive(sub, 102)).toBe('take');
    expect(book.get(sub)).toMatchObject({ seenThrough: 11n, backlog: 1 });
  });

  it('liveFrom: items parked below the committed deliveries offset are never read again and are not kept', () => {
    const book = new ParkingBook();
    book.item(sub, 11n, 50, true);
    book.liveFrom(60);
    book.item(sub, 12n, 55, true);
    book.item(sub, 13n, 61, true);
    expect(book.routeLive(sub, 61)).toBe('skip');
    expect(book.routeLive(sub, 50)).toBe('take');
  });

  it('items of a subscription that is not parked are taken by routeLive only', () => {
    const book = new ParkingBook();
    expect(book.routeLive(sub, 1)).toBe('take');
    expect(book.get(sub)).toBeUndefined();
    expect(book.floor()).toBeNull();
    expect(book.rereadFrom()).toBeNull();
  });

  it('settle with another episode, or twice, is stale', () => {
    const book = parkedBook();
    expect(book.settle(sub, 'pke_0', 'draining', 0n)).toBe(false);
    expect(book.settle(other, 'pke_1', 'draining', 0n)).toBe(false);
    expect(book.get(sub)?.phase).toBe('parked');
    expect(book.settle(sub, 'pke_1', 'draining', 0n)).toBe(true);
    expect(book.settle(sub, 'pke_1', 'draining', 0n)).toBe(false);
    expect(book.settle(sub, 'pke_1', 'closing', 0n)).toBe(false);
  });
});

describe('parking book: draining a backlog', () => {
  it('re-reads the items passed over while parked, drains each once, completes when the cursor reaches them all', () => {
    const book = parkedBook();
    book.item(sub, 11n, 101);
    book.item(other, 12n, 500);
    book.item(sub, 13n, 102);
    expect(book.rereadFrom()).toBeNull();

    expect(book.settle(sub, 'pke_1', 'draining', 0n)).toBe(true);
    expect(book.get(sub)).toMatchObject({ phase: 'draining', queuedThrough: 10n });
    expect(book.complete(sub)).toBe(false);
    expect(book.rereadFrom()).toBe(11n);
    // The reader seeks there: the re-read is under way and not asked for again after every fetch (that loop was a stall).
    book.rereading(11n);
    expect(book.rereadFrom()).toBeNull();

    expect(book.item(sub, 11n, 101)).toBe('drain');
    // A seek back re-reads 11: already queued for the drain.
    expect(book.item(sub, 11n, 101)).toBe('skip');
    expect(book.rereadFrom()).toBeNull();
    expect(book.item(sub, 13n, 102)).toBe('drain');
    expect(book.item(sub, 13n, 102)).toBe('skip');
    expect(book.rereadFrom()).toBeNull();
    expect(book.get(sub)).toMatchObject({ queuedThrough: 13n, backlog: 2 });

    book.finished(sub, 11n, 1);
    expect(book.get(sub)).toMatchObject({ cursor: 11n, backlog: 1 });
    expect(book.complete(sub)).toBe(false);
    // Finished items read again are behind the cursor.
    expect(book.item(sub, 11n, 101)).toBe('skip');
    // Out-of-date finish reports do not move the cursor back.
    book.finished(sub, 10n, 1);
    expect(book.get(sub)).toMatchObject({ cursor: 11n, backlog: 1 });

    book.finished(sub, 13n, 1);
    expect(book.get(sub)).toMatchObject({ cursor: 13n, backlog: 0 });
    expect(book.complete(sub)).toBe(true);
  });

  it('with nothing passed over, settle needs no re-read and completes at once', () => {
    const book = parkedBook();
    book.settle(sub, 'pke_1', 'draining', 0n);
    expect(book.rereadFrom()).toBeNull();
    expect(book.complete(sub)).toBe(true);
  });

  it('rereadFrom is the lowest start over all draining or closing subscriptions, never a parked one', () => {
    const book = parkedBook();
    book.begin(other, { episodeId: 'pke_9', markerOffset: 3n, headOffsets: [40] });
    book.item(other, 4n, 41);
    book.item(sub, 11n, 101);
    expect(book.rereadFrom()).toBeNull();
    book.settle(sub, 'pke_1', 'draining', 0n);
    expect(book.rereadFrom()).toBe(11n);
    book.settle(other, 'pke_9', 'closing', 0n);
    expect(book.rereadFrom()).toBe(4n);
  });

  it('items appended while draining raise seenThrough, so complete waits until they are read back and finished', () => {
    const book = parkedBook();
    book.item(sub, 11n, 101);
    book.settle(sub, 'pke_1', 'draining', 0n);
    expect(book.item(sub, 11n, 101)).toBe('drain');
    // A live item arrives during the drain: appended behind the backlog, not yet read back.
    expect(book.routeLive(sub, 105)).toBe('take');
    book.appended(sub, 14n, 1);
    expect(book.get(sub)).toMatchObject({ seenThrough: 14n, backlog: 2 });
    book.finished(sub, 11n, 1);
    expect(book.complete(sub)).toBe(false);
    // Read back: queued once, and not counted again.
    expect(book.item(sub, 14n, 105)).toBe('drain');
    expect(book.get(sub)?.backlog).toBe(1);
    book.finished(sub, 14n, 1);
    expect(book.complete(sub)).toBe(true);
  });

  it('appended for a subscription that is not parked is ignored', () => {
    const book = new ParkingBook();
    book.appended(sub, 3n, 1);
    expect(book.get(sub)).toBeUndefined();
  });

  it('while scanning, items are only counted, even for a draining subscription', () => {
    const book = parkedBook();
    book.settle(sub, 'pke_1', 'draining', 0n);
    expect(book.item(sub, 11n, 101, true)).toBe('count');
    expect(book.item(sub, 12n, 102, true)).toBe('count');
    expect(book.get(sub)).toMatchObject({ queuedThrough: 10n, seenThrough: 12n, backlog: 2 });
    expect(book.rereadFrom()).toBe(11n);
    expect(book.item(sub, 11n, 101)).toBe('drain');
  });

  it('closing routes the backlog to the audit, once per item, and completes like a drain', () => {
    const book = parkedBook();
    book.item(sub, 11n, 101);
    expect(book.settle(sub, 'pke_1', 'closing', 0n)).toBe(true);
    expect(book.get(sub)?.phase).toBe('closing');
    expect(book.rereadFrom()).toBe(11n);
    expect(book.item(sub, 11n, 101)).toBe('audit');
    expect(book.item(sub, 11n, 101)).toBe('skip');
    expect(book.item(sub, 12n, 102)).toBe('audit');
    book.finished(sub, 12n, 2);
    expect(book.complete(sub)).toBe(true);
  });
});

describe('parking book: after an episode', () => {
  it('end removes the entry; live items of the ended backlog read back before and parked items before the end marker are skipped', () => {
    const book = parkedBook();
    book.item(sub, 11n, 101);
    book.settle(sub, 'pke_1', 'draining', 0n);
    book.item(sub, 11n, 101);
    book.finished(sub, 11n, 1);
    expect(book.end(sub, 'pke_0', 12n)).toBe(false);
    expect(book.end(sub, 'pke_1', 12n)).toBe(true);
    expect(book.get(sub)).toBeUndefined();
    expect(book.end(sub, 'pke_1', 12n)).toBe(false);

    // Re-read after a crash: live items of the head and backlog are not delivered twice.
    expect(book.routeLive(sub, 100)).toBe('skip');
    expect(book.routeLive(sub, 101)).toBe('skip');
    expect(book.routeLive(sub, 102)).toBe('take');
    // Re-read of the ended backlog: skipped without making a new entry.
    expect(book.item(sub, 11n, 101)).toBe('skip');
    expect(book.get(sub)).toBeUndefined();
    expect(book.floor()).toBeNull();
  });

  it('a new episode adds its head to what is skipped', () => {
    const book = parkedBook();
    book.settle(sub, 'pke_1', 'draining', 0n);
    book.end(sub, 'pke_1', 11n);
    book.begin(sub, { episodeId: 'pke_2', markerOffset: 20n, headOffsets: [110] });
    expect(book.get(sub)).toMatchObject({ episodeId: 'pke_2', phase: 'parked', cursor: 20n, backlog: 0 });
    expect(book.routeLive(sub, 100)).toBe('skip');
    expect(book.routeLive(sub, 105)).toBe('take');
    expect(book.routeLive(sub, 110)).toBe('skip');
    expect(book.routeLive(sub, 111)).toBe('take');
  });
});

describe('parking book: a failure during a drain (repark)', () => {
  // pke_1: marker 10, items 11..16 (deliveries 101..106). The drain delivers 11–12, then the
  // request 13–14 fails: it becomes the head of pke_2 (marker 20, backlogAfter 14), 15–16 stay.
  function reparked(): ParkingBook {
    const book = parkedBook();
    for (let o = 11n; o <= 16n; o++) book.appended(sub, o, 1);
    book.settle(sub, 'pke_1', 'draining', 0n);
    for (let o = 11n; o <= 16n; o++) expect(book.item(sub, o, Number(o) + 90)).toBe('drain');
    book.finished(sub, 12n, 2);
    book.begin(sub, { episodeId: 'pke_2', markerOffset: 20n, headOffsets: [104], backlogAfter: 14n });
    return book;
  }

  it('keeps the remaining items: the cursor is backlogAfter, live items stay behind the backlog', () => {
    const book = reparked();
    expect(book.get(sub)).toMatchObject({ episodeId: 'pke_2', phase: 'parked', cursor: 14n, queuedThrough: 14n });
    expect(book.floor()).toBe(15n);
    expect(book.routeLive(sub, 106)).toBe('skip');
    expect(book.routeLive(sub, 107)).toBe('take');
    // The old drain's settle is stale now.
    expect(book.settle(sub, 'pke_1', 'draining', 0n)).toBe(false);
    expect(book.end(sub, 'pke_1', 21n)).toBe(false);
  });

  it('when the new head succeeds, the remaining items are re-read and drained, then the episode completes', () => {
    const book = reparked();
    expect(book.settle(sub, 'pke_2', 'draining', 0n)).toBe(true);
    expect(book.rereadFrom()).toBe(15n);
    expect(book.item(sub, 14n, 104)).toBe('skip');
    expect(book.item(sub, 15n, 105)).toBe('drain');
    expect(book.item(sub, 16n, 106)).toBe('drain');
    book.begin(sub, { episodeId: 'pke_2', markerOffset: 20n, headOffsets: [104], backlogAfter: 14n });
    book.finished(sub, 16n, 2);
    expect(book.complete(sub)).toBe(true);
  });

  it('items that became the head (GPS: one vehicle) are finished when re-read, never drained again; the others still drain', () => {
    // Two vehicles interleaved: 11,13,15 (vehicle a) and 12,14,16 (vehicle b). Vehicle b's request 12–14 fails while 11 is not yet delivered.
    const book = parkedBook();
    for (let o = 11n; o <= 16n; o++) book.appended(sub, o, 1);
    book.settle(sub, 'pke_1', 'draining', 0n);
    book.begin(sub, { episodeId: 'pke_2', markerOffset: 20n, headOffsets: [106], backlogAfter: 10n, inHead: [12n, 14n] });
    expect(book.get(sub)).toMatchObject({ cursor: 10n, backlog: 4 });
    expect(book.settle(sub, 'pke_2', 'draining', 0n)).toBe(true);
    expect(book.rereadFrom()).toBe(11n);
    expect([11n, 12n, 13n, 14n, 15n, 16n].map((o) => book.item(sub, o, Number(o) + 90))).toEqual(['drain', 'finished', 'drain', 'finished', 'drain', 'drain']);
    book.finished(sub, 16n, 4);
    expect(book.complete(sub)).toBe(true);
  });

  it('reparked twice below the first repark: re-reading the first repark marker (and its recovered) changes nothing', () => {
    // pke_2's drain fails at once on 15 (the cursor still 14): pke_3, marker 30, backlogAfter 14. Its recovery re-reads from 15, past pke_2's markers at 20 and 21.
    const book = reparked();
    expect(book.settle(sub, 'pke_2', 'draining', 21n)).toBe(true);
    book.begin(sub, { episodeId: 'pke_3', markerOffset: 30n, headOffsets: [105], backlogAfter: 14n, inHead: [15n] });
    expect(book.settle(sub, 'pke_3', 'draining', 31n)).toBe(true);
    expect(book.begin(sub, { episodeId: 'pke_2', markerOffset: 20n, headOffsets: [104], backlogAfter: 14n })).toBe(false);
    expect(book.settle(sub, 'pke_2', 'draining', 21n)).toBe(false);
    expect(book.get(sub)).toMatchObject({ episodeId: 'pke_3', phase: 'draining', cursor: 14n });
    expect([15n, 16n].map((o) => book.item(sub, o, Number(o) + 90))).toEqual(['finished', 'drain']);
  });

  it('a repark of the last request leaves nothing to drain: complete right after the head succeeds', () => {
    const book = parkedBook();
    book.appended(sub, 11n, 1);
    book.settle(sub, 'pke_1', 'draining', 0n);
    book.item(sub, 11n, 101);
    book.begin(sub, { episodeId: 'pke_2', markerOffset: 20n, headOffsets: [101], backlogAfter: 11n });
    book.settle(sub, 'pke_2', 'draining', 0n);
    expect(book.rereadFrom()).toBeNull();
    expect(book.complete(sub)).toBe(true);
  });
});

describe('parking book: rebuilt from webhook.parked', () => {
  it('the end marker of an episode it never saw open (it began below the rebuild) makes that subscription\'s earlier records past', () => {
    // A rebuild from 17 reads pke_9's drained marker at 22; a re-read from below for another backlog then passes pke_9's begin (6), items and recovered.
    const book = new ParkingBook();
    expect(book.end(sub, 'pke_9', 22n)).toBe(false);
    expect(book.begin(sub, { episodeId: 'pke_9', markerOffset: 6n, headOffsets: [] })).toBe(false);
    expect(book.item(sub, 7n, 107)).toBe('skip');
    expect(book.settle(sub, 'pke_9', 'draining', 14n)).toBe(false);
    expect(book.get(sub)).toBeUndefined();
    expect(book.hasEnded(sub, 'pke_9')).toBe(true);
    // A later episode begins as usual.
    expect(book.begin(sub, { episodeId: 'pke_10', markerOffset: 30n, headOffsets: [] })).toBe(true);
  });

  it('an item read before its begin marker makes an entry of unknown episode; the marker then names it', () => {
    const book = new ParkingBook();
    // The rebuild starts at the commit floor, inside pke_1's backlog (after the head 13–14 failed).
    expect(book.item(sub, 15n, 105, true)).toBe('count');
    expect(book.get(sub)).toMatchObject({ episodeId: unknownEpisode, phase: 'parked', cursor: 14n, seenThrough: 15n, backlog: 1 });
    expect(book.floor()).toBe(15n);
    expect(book.item(sub, 16n, 106, true)).toBe('count');
    book.begin(sub, { episodeId: 'pke_2', markerOffset: 20n, headOffsets: [104], backlogAfter: 14n });
    expect(book.get(sub)).toMatchObject({ episodeId: 'pke_2', cursor: 14n, backlog: 2 });
    expect(book.settle(sub, 'pke_2', 'draining', 0n)).toBe(true);
    expect(book.rereadFrom()).toBe(15n);
    expect(book.item(sub, 15n, 105)).toBe('drain');
    expect(book.item(sub, 16n, 106)).toBe('drain');
    book.finished(sub, 16n, 2);
    expect(book.complete(sub)).toBe(true);
  });

  it('an entry of unknown episode can be settled or ended by the episode read later', () => {
    const book = new ParkingBook();
    book.item(sub, 15n, 105, true);
    expect(book.settle(sub, 'pke_7', 'closing', 0n)).toBe(true);
    expect(book.get(sub)).toMatchObject({ episodeId: 'pke_7', phase: 'closing' });

    book.item(other, 30n, 300, true);
    expect(book.end(other, 'pke_8', 31n)).toBe(true);
    expect(book.get(other)).toBeUndefined();
    expect(book.routeLive(other, 300)).toBe('skip');
  });

  it('floor keeps every open episode readable from its begin marker (or its first unfinished item, if lower), or null', () => {
    const book = parkedBook();
    expect(book.floor()).toBe(10n);
    book.begin(other, { episodeId: 'pke_9', markerOffset: 3n, headOffsets: [40] });
    expect(book.floor()).toBe(3n);
    book.appended(other, 4n, 1);
    book.settle(other, 'pke_9', 'draining', 0n);
    book.item(other, 4n, 41);
    book.finished(other, 4n, 1);
    expect(book.floor()).toBe(3n);
    book.end(other, 'pke_9', 12n);
    expect(book.floor()).toBe(10n);
    book.settle(sub, 'pke_1', 'draining', 0n);
    book.end(sub, 'pke_1', 13n);
    expect(book.floor()).toBeNull();
    // After a failure during a drain the remaining items sit before the new marker: the floor is the first of them.
    book.begin(other, { episodeId: 'pke_10', markerOffset: 30n, headOffsets: [60], backlogAfter: 7n });
    expect(book.floor()).toBe(8n);
  });
});

describe('parking book: drain progress', () => {
  it('a rebuild resumes the drain at the recorded progress: items at or below the cursor and those listed above it are not drained again', () => {
    // pke_1: marker 10, items 11..16 (two vehicles interleaved); before the crash 11, 12 and 14 were delivered (13 not yet).
    const book = parkedBook();
    for (let o = 11n; o <= 16n; o++) expect(book.item(sub, o, Number(o) + 90, true)).toBe('count');
    expect(book.settle(sub, 'pke_1', 'draining', 0n)).toBe(true);
    book.progress(sub, 'pke_1', { cursor: 12n, finished: [14n], backlog: 3 });
    expect(book.get(sub)).toMatchObject({ cursor: 12n, queuedThrough: 12n, backlog: 3 });
    expect(book.rereadFrom()).toBe(13n);
    expect([13n, 14n, 15n, 16n].map((o) => book.item(sub, o, Number(o) + 90))).toEqual(['drain', 'finished', 'drain', 'drain']);
    book.finished(sub, 16n, 3);
    expect(book.complete(sub)).toBe(true);
  });

  it('progress of another episode, of a subscription not parked, or behind the cursor changes nothing', () => {
    const book = parkedBook();
    book.progress(sub, 'pke_0', { cursor: 30n, finished: [], backlog: 0 });
    book.progress(other, 'pke_1', { cursor: 30n, finished: [], backlog: 0 });
    expect(book.get(sub)).toMatchObject({ cursor: 10n });
    expect(book.get(other)).toBeUndefined();
    book.progress(sub, 'pke_1', { cursor: 5n, finished: [4n], backlog: 2 });
    expect(book.get(sub)).toMatchObject({ cursor: 10n, inHead: new Set() });
  });
});
