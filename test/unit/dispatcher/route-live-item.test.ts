import { describe, expect, it } from 'vitest';
import { routeLiveItem } from '../../../services/dispatcher/live/route-live-item.js';
import type { LiveItemFacts, LiveItemRoute } from '../../../services/dispatcher/live/route-live-item.js';

const plain: LiveItemFacts = { malformed: false, inParking: false, subscription: 'deliverable', parked: false, delivered: false, repeat: false };
const take: LiveItemRoute = { kind: 'take' };
const skip = (reason: string): LiveItemRoute => ({ kind: 'skip', reason } as LiveItemRoute);

describe('routing a live item read from webhook.deliveries', () => {
  it.each<[string, Partial<LiveItemFacts>, LiveItemRoute]>([
    ['a deliverable item', {}, take],
    ['a deliverable item of a parked subscription (appended to its backlog)', { parked: true }, take],
    ['a malformed item', { malformed: true }, skip('malformed')],
    ['a malformed item that is also in a backlog', { malformed: true, inParking: true }, skip('malformed')],
    ['an item a previous owner put in a head or backlog', { inParking: true }, skip('in a head or backlog')],
    ['an item of a deleted subscription', { subscription: 'gone' }, skip('subscription gone')],
    ['an item of a deleted subscription that was parked', { subscription: 'gone', parked: true }, skip('subscription gone')],
    ['a paused subscription without a backlog', { subscription: 'paused' }, skip('not deliverable')],
    ['a paused subscription with a backlog keeps its items', { subscription: 'paused', parked: true }, take],
    ['a deactivated subscription whose episode is over: audited, not dropped', { subscription: 'deactivated' }, { kind: 'audit' }],
    ['a deactivated subscription, an item it already got', { subscription: 'deactivated', delivered: true }, skip('delivered')],
    ['a deactivated subscription, a second copy of telemetry', { subscription: 'deactivated', repeat: true }, skip('repeat')],
    ['a deactivated subscription whose backlog is being audited keeps its items (audited, not dropped)', { subscription: 'deactivated', parked: true }, take],
    ['a subscription pending verification', { subscription: 'other' }, skip('not deliverable')],
    ['a subscription pending verification, even if parked', { subscription: 'other', parked: true }, skip('not deliverable')],
    ['an item at or below the stream\'s dedupe mark', { delivered: true }, skip('delivered')],
    ['a second copy of telemetry already taken', { repeat: true }, skip('repeat')],
    ['an item both delivered and repeated', { delivered: true, repeat: true }, skip('delivered')],
  ])('%s', (_, facts, expected) => {
    expect(routeLiveItem({ ...plain, ...facts })).toEqual(expected);
  });
});
