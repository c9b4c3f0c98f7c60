import { describe, expect, it } from 'vitest';
import type { GpsPoint } from '../../../schemas/telemetry-records.js';
import { loadConfig } from '../../../services/deriver/config.js';
import { deriveBatch } from '../../../services/deriver/derive-batch.js';
import { defaultTimings, noLandmarks, noRules } from '../../../services/deriver/rules/derive-params.js';
import type { SourcePoint } from '../../../services/deriver/rules/step-vehicle.js';
import { encodeVehicleState } from '../../../services/deriver/rules/vehicle-state-codec.js';
import { VehicleStateStore } from '../../../services/deriver/vehicle-state-store.js';
import { ConfigError } from '../../../services/shared/errors.js';
import type { ConsumedRecord } from '../../../services/shared/kafka/kafka-port.js';
import { createLogger } from '../../../services/shared/logger.js';

const params = () => ({ rules: noRules, landmarks: noLandmarks, timings: defaultTimings });
const t0 = Date.UTC(2026, 0, 5, 8);

function at(vehicleId: string, offset: number, minute: number, p: Partial<GpsPoint> = {}): SourcePoint {
  const point: GpsPoint = { vehicleId, accountId: 'acc', time: t0 + minute * 60_000, lat: 52, lon: 13, speedKmh: 0, headingDeg: 0, odometerKm: 10, ignition: false, ...p };
  return { point, position: { partition: 1, offset: String(offset) } };
}

describe('deriveBatch', () => {
  const track = [at('v1', 0, 0), at('v2', 1, 0), at('v1', 2, 1, { ignition: true }), at('v1', 3, 2, { ignition: true, speedKmh: 40, odometerKm: 11 }), at('v1', 4, 3, { odometerKm: 12 })];

  it('keeps the last state per vehicle, leaves the given states alone, and a batch read again gives nothing new', () => {
    const states = new Map();
    const first = deriveBatch(states, track, params);
    expect(first.events.filter((e) => e.vehicleId === 'v1').map((e) => e.type)).toEqual(['heartbeat', 'ignition_on', 'idle', 'ignition_off', 'trip_complete']);
    expect(first.states.get('v1')?.position).toEqual({ partition: 1, offset: '4' });
    expect(first.outcomes).toEqual({ applied: 5, replayed: 0, out_of_order: 0 });
    expect(states.size).toBe(0);
    const again = deriveBatch(first.states, track, params);
    expect(again).toMatchObject({ events: [], outcomes: { applied: 0, replayed: 5, out_of_order: 0 } });
    expect(again.states.size).toBe(0);
  });

  it('split at any point (a crash after some batches were written) gives the same events with the same ids', () => {
    const whole = deriveBatch(new Map(), track, params).events;
    for (let cut = 0; cut <= track.length; cut++) {
      const head = deriveBatch(new Map(), track.slice(0, cut), params);
      // The points after the cut are read again from the committed offset, with some of the head repeated.
      const tail = deriveBatch(head.states, track.slice(Math.max(0, cut - 2)), params);
      expect([...head.events, ...tail.events]).toEqual(whole);
    }
  });
});

describe('VehicleStateStore', () => {
  const logger = createLogger('test', { write: () => undefined });
  const stateOf = (vehicleId: string, offset: number) => deriveBatch(new Map(), [at(vehicleId, offset, 0)], params).states.get(vehicleId)!;
  const rec = (offset: number, key: string | null, value: Buffer | null): ConsumedRecord => ({ offset: String(offset), key: key === null ? null : Buffer.from(key), value, timestamp: '0' });

  it('holds a partition until its changelog is read to the end, keeping the latest state, dropping tombstones and bad records', () => {
    const store = new VehicleStateStore(logger);
    store.begin(1, [0, 1]);
    expect(store.isRestoring(0)).toBe(true);
    expect(store.expect(1, 0n, 0n)).toBe(true);
    expect(store.isRestoring(1)).toBe(false);
    expect(store.applyChangelog(0, [rec(0, 'a', encodeVehicleState(stateOf('a', 1))), rec(1, 'b', encodeVehicleState(stateOf('b', 2)))], 2n)).toBe(false);
    expect(store.expect(0, 0n, 5n)).toBe(false);
    const later = stateOf('a', 9);
    const done = store.applyChangelog(0, [rec(2, 'a', encodeVehicleState(later)), rec(3, 'b', null), rec(4, 'c', Buffer.from('{"version":2}')), rec(5, null, Buffer.from('x'))], 6n);
    expect(done).toBe(true);
    expect(store.isRestoring(0)).toBe(false);
    expect([...store.view().keys()]).toEqual(['a']);
    expect(store.view().get('a')?.position.offset).toBe('9');
  });

  it('a state written under another vehicle key is not trusted', () => {
    const store = new VehicleStateStore(logger);
    store.begin(1, [0]);
    store.applyChangelog(0, [rec(0, 'x', encodeVehicleState(stateOf('y', 1)))], 1n);
    expect(store.view().size).toBe(0);
  });

  it('a new generation forgets every state and holds its partitions again', () => {
    const store = new VehicleStateStore(logger);
    store.begin(1, [0]);
    store.expect(0, 0n, 1n);
    store.applyChangelog(0, [rec(0, 'a', encodeVehicleState(stateOf('a', 1)))], 1n);
    store.keep(new Map([['b', stateOf('b', 3)]]));
    expect(store.size).toBe(2);
    store.begin(2, [0, 2]);
    expect(store.size).toBe(0);
    expect(store.generation).toBe(2);
    expect(store.isRestoring(0) && store.isRestoring(2)).toBe(true);
  });
});

describe('deriver loadConfig', () => {
  it('defaults to the local stack and its own group', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ groupId: 'fleethook-deriver', schemaRegistryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7', topicPrefix: '', autoRegisterSchemas: true });
  });

  it('reports every problem at once, by variable name', () => {
    try {
      loadConfig({ FLEETHOOK_DERIVER_PORT: 'x', FLEETHOOK_DERIVER_SESSION_TIMEOUT_MS: '10', FLEETHOOK_SCHEMA_REGISTRY_URL: 'ftp://r', FLEETHOOK_DERIVER_LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      for (const name of ['FLEETHOOK_DERIVER_PORT', 'FLEETHOOK_DERIVER_SESSION_TIMEOUT_MS', 'FLEETHOOK_SCHEMA_REGISTRY_URL', 'FLEETHOOK_DERIVER_LOG_LEVEL']) expect(text).toContain(name);
    }
  });
});
