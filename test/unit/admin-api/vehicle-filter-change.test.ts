import { describe, expect, it } from 'vitest';
import { changeVehicleFilter } from '../../../services/admin-api/vehicle-filter-change.js';
import { limits } from '../../../services/shared/subscriptions/subscription-types.js';

const filter = (...vehicleIds: string[]): { vehicleIds: string[] } => ({ vehicleIds });

describe('per-vehicle subscribe and unsubscribe', () => {
  it.each([
    ['subscribe adds a vehicle at the end', filter('a'), 'subscribe', 'b', { kind: 'changed', vehicleFilter: filter('a', 'b') }],
    ['subscribe of a vehicle held changes nothing', filter('a', 'b'), 'subscribe', 'b', { kind: 'unchanged' }],
    ['subscribe without a filter changes nothing (every vehicle already)', null, 'subscribe', 'b', { kind: 'unchanged' }],
    ['unsubscribe removes the vehicle', filter('a', 'b', 'c'), 'unsubscribe', 'b', { kind: 'changed', vehicleFilter: filter('a', 'c') }],
    ['unsubscribe of a vehicle not held changes nothing', filter('a', 'b'), 'unsubscribe', 'z', { kind: 'unchanged' }],
    ['unsubscribe without a filter is a conflict', null, 'unsubscribe', 'a', { kind: 'conflict' }],
    ['unsubscribe of the last vehicle is a conflict', filter('a'), 'unsubscribe', 'a', { kind: 'conflict' }],
    ['an id with a space is invalid, by its path', filter('a'), 'subscribe', 'a b', { kind: 'invalid', issue: { field: 'path.vehicleId' } }],
    ['an id over 128 characters is invalid', filter('a'), 'unsubscribe', 'v'.repeat(129), { kind: 'invalid', issue: { field: 'path.vehicleId' } }],
    ['an empty id is invalid', null, 'subscribe', '', { kind: 'invalid' }],
  ] as const)('%s', (_name, current, op, vehicleId, expected) => {
    expect(changeVehicleFilter(current, op, vehicleId)).toMatchObject(expected);
  });

  it(`refuses a vehicle past the ${limits.maxVehicleIds}-vehicle cap, naming the filter's field`, () => {
    const full = filter(...Array.from({ length: limits.maxVehicleIds }, (_, i) => `v${i}`));
    expect(changeVehicleFilter(full, 'subscribe', 'one-more')).toMatchObject({ kind: 'invalid', issue: { field: 'vehicleFilter.vehicleIds' } });
    expect(changeVehicleFilter(full, 'subscribe', 'v7')).toEqual({ kind: 'unchanged' });
  });
});
