import { describe, expect, it } from 'vitest';
import { decodeSubscriptionCreate, decodeSubscriptionPatch } from '../../../services/shared/subscriptions/decode-subscription-spec.js';

const lmA = 'lm_00000000a0123456789abcdef';
const lmB = 'lm_00000000b0123456789abcdef';
const base = { url: 'https://hooks.example.com/in', name: 'Fleet GPS', source: { kind: 'gps' } };

function issuesOf(body: unknown): { field: string; message: string }[] {
  const r = decodeSubscriptionCreate(body);
  return r.kind === 'invalid' ? [...r.issues] : [];
}

describe('subscription create validation', () => {
  it('fills defaults for a minimal subscription', () => {
    const r = decodeSubscriptionCreate(base);
    expect(r).toEqual({
      kind: 'ok',
      value: {
        ...base, vehicleFilter: null, contentType: 'application/json', batching: { maxItems: 500, maxWaitMs: 5000 },
        auth: { type: 'none' }, alertEmails: [], retryPolicy: 'standard-7d', enabled: true,
      },
    });
  });

  it('defaults scheduled subscriptions to 5 retries over 10 minutes, then disabled; an explicit policy stays', () => {
    const scheduled = { ...base, source: { kind: 'scheduled', cadence: { every: 'hour' } } };
    expect(decodeSubscriptionCreate(scheduled)).toMatchObject({ kind: 'ok', value: { retryPolicy: 'disable-10m' } });
    expect(decodeSubscriptionCreate({ ...scheduled, retryPolicy: 'standard-7d' })).toMatchObject({ kind: 'ok', value: { retryPolicy: 'standard-7d' } });
  });

  it('defaults event subscriptions to one event per request', () => {
    const r = decodeSubscriptionCreate({ ...base, source: { kind: 'event', eventTypes: [{ type: 'ignition_on' }] } });
    expect(r.kind === 'ok' && r.value.batching).toEqual({ maxItems: 1, maxWaitMs: 0 });
  });

  it('accepts every option of the model', () => {
    const full = {
      ...base,
      enabled: false,
      source: {
        kind: 'event',
        eventTypes: [
          { type: 'speeding', threshold: 110, units: 'kmh' }, { type: 'posted_speeding', threshold: 15, units: 'mph' },
          { type: 'landmark_enter', landmarkIds: [lmA, lmB] }, { type: 'landmark_leave', landmarkIds: [lmA] }, { type: 'landmark_change' }, { type: 'dvir' },
          { type: 'idle', minutes: 10 },
        ],
      },
      vehicleFilter: { vehicleIds: ['veh-1', 'veh-2'] },
      contentType: 'application/x-www-form-urlencoded',
      batching: { maxItems: 10, maxWaitMs: 0 },
      auth: { type: 'custom', tokenName: 'X-Fleet-Key', tokenValue: 'abc', authorization: 'Token xyz' },
      alertEmails: ['ops@example.com'],
      retryPolicy: 'disable-10m',
    };
    expect(decodeSubscriptionCreate(full).kind).toBe('ok');
    for (const cadence of [{ every: 'minutes', minutes: 15 }, { every: 'minutes', minutes: 1 }, { every: 'minutes', minutes: 59 }, { every: 'hour' }, { every: 'day' }, { every: 'day', at: '23:59' }, { every: 'month' }, { every: 'month', day: 28 }]) {
      expect(decodeSubscriptionCreate({ ...base, source: { kind: 'scheduled', cadence } }).kind).toBe('ok');
    }
    // Scheduled options: absent ones get their defaults; given ones are kept.
    expect(decodeSubscriptionCreate({ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' } } })).toMatchObject({
      kind: 'ok', value: { source: { kind: 'scheduled', fields: ['location', 'speed', 'heading', 'odometer', 'ignition', 'activeDtcs', 'lastEventTimes'], units: 'metric', maxRequestBytes: 1_048_576 } },
    });
    expect(decodeSubscriptionCreate({ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, fields: ['odometer'], units: 'imperial', maxRequestBytes: 2_048 } })).toMatchObject({
      kind: 'ok', value: { source: { fields: ['odometer'], units: 'imperial', maxRequestBytes: 2_048 } },
    });
    for (const auth of [
      { type: 'none', authorization: 'Fixed abc' }, { type: 'basic', userName: 'u', password: 'p' },
      { type: 'bearer', tokenValue: 't' }, { type: 'apikey', tokenValue: 'k' },
    ]) {
      expect(decodeSubscriptionCreate({ ...base, auth }).kind).toBe('ok');
    }
  });

  it.each<[string, unknown, unknown]>([
    ['km/h as older clients send it', { type: 'speeding', thresholdKph: 120 }, { type: 'speeding', threshold: 120, units: 'kmh' }],
    ['posted X in km/h as older clients send it', { type: 'posted_speeding', overLimitKph: 0 }, { type: 'posted_speeding', threshold: 0, units: 'kmh' }],
    ['mph', { type: 'speeding', threshold: 55, units: 'mph' }, { type: 'speeding', threshold: 55, units: 'mph' }],
    ['idle without minutes', { type: 'idle' }, { type: 'idle' }],
    ['idle with minutes', { type: 'idle', minutes: 1_440 }, { type: 'idle', minutes: 1_440 }],
    ['landmark_change without ids (all landmarks)', { type: 'landmark_change' }, { type: 'landmark_change' }],
    ['landmark_enter with ids', { type: 'landmark_enter', landmarkIds: [lmA] }, { type: 'landmark_enter', landmarkIds: [lmA] }],
  ])('reads an event selection: %s', (_what, selection, read) => {
    const r = decodeSubscriptionCreate({ ...base, source: { kind: 'event', eventTypes: [selection] } });
    expect(r.kind === 'ok' && r.value.source).toEqual({ kind: 'event', eventTypes: [read] });
  });

  it.each([
    [{}, 'url', 'is required'],
    [{ ...base, url: 42 }, 'url', 'must be a string, got a number'],
    [{ ...base, url: 'not a url' }, 'url', 'is not a valid absolute URL'],
    [{ ...base, url: 'ftp://hooks.example.com/' }, 'url', 'must use https'],
    [{ ...base, url: 'https://u:p@hooks.example.com/' }, 'url', 'must not contain credentials'],
    [{ ...base, url: 'https://hooks.example.com/#x' }, 'url', 'fragment'],
    [{ ...base, name: '' }, 'name', 'at least 1'],
    [{ ...base, name: 'a\nb' }, 'name', 'control characters'],
    [{ ...base, source: undefined }, 'source', 'must be an object'],
    [{ ...base, source: { kind: 'weather' } }, 'source.kind', 'must be one of'],
    [{ ...base, source: { kind: 'event' } }, 'source.eventTypes', 'is required'],
    [{ ...base, source: { kind: 'event', eventTypes: [] } }, 'source.eventTypes', 'non-empty'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding' }] } }, 'source.eventTypes[0].threshold', 'is required'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 100 }] } }, 'source.eventTypes[0].units', 'is required (one of kmh, mph)'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 100, units: 'knots' }] } }, 'source.eventTypes[0].units', 'must be one of kmh, mph'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 300, units: 'mph' }] } }, 'source.eventTypes[0].threshold', '>= 1 and <= 250 (mph)'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 0, units: 'kmh' }] } }, 'source.eventTypes[0].threshold', '>= 1 and <= 400 (kmh)'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', threshold: -5, units: 'kmh' }] } }, 'source.eventTypes[0].threshold', '>= 0 and <= 200 (kmh)'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'posted_speeding', threshold: 2.5, units: 'mph' }] } }, 'source.eventTypes[0].threshold', 'integer'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', threshold: 50, units: 'kmh', thresholdKph: 50 }] } }, 'source.eventTypes[0].thresholdKph', 'unknown field'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'speeding', thresholdKph: '100' }] } }, 'source.eventTypes[0].thresholdKph', 'integer'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'ignition_on' }, { type: 'posted_speeding', overLimitKph: -1 }] } }, 'source.eventTypes[1].overLimitKph', '>= 0 and <= 200'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'idle', minutes: 0 }] } }, 'source.eventTypes[0].minutes', '>= 1 and <= 1440'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'idle', minutes: null }] } }, 'source.eventTypes[0].minutes', 'must not be null'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'landmark_enter', landmarkIds: [lmA, 'bad id'] }] } }, 'source.eventTypes[0].landmarkIds[1]', 'must be a landmark id'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'landmark_change', landmarkIds: ['lm_9'] }] } }, 'source.eventTypes[0].landmarkIds[0]', 'must be a landmark id'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'landmark_leave', landmarkIds: [] }] } }, 'source.eventTypes[0].landmarkIds', 'at least 1'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'landmark_leave', landmarkIds: [lmA, lmA] }] } }, 'source.eventTypes[0].landmarkIds[1]', 'repeats'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'landmark_change', landmarkIds: lmA }] } }, 'source.eventTypes[0].landmarkIds', 'array'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'idle', extra: 1 }] } }, 'source.eventTypes[0].extra', 'unknown field'],
    [{ ...base, source: { kind: 'event', eventTypes: [{ type: 'idle' }, { type: 'idle' }] } }, 'source.eventTypes', 'twice'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'minutes' } } }, 'source.cadence.minutes', 'is required'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 0 } } }, 'source.cadence.minutes', '>= 1 and <= 59'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 60 } } }, 'source.cadence.minutes', '>= 1 and <= 59'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'minutes', minutes: 2.5 } } }, 'source.cadence.minutes', 'integer'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'day', at: '24:00' } } }, 'source.cadence.at', 'HH:MM'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'day', at: '7:30' } } }, 'source.cadence.at', 'HH:MM'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'day', at: 730 } } }, 'source.cadence.at', 'must be a string'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'month', day: 29 } } }, 'source.cadence.day', '>= 1 and <= 28'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'month', day: 0 } } }, 'source.cadence.day', '>= 1 and <= 28'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour', at: '00:30' } } }, 'source.cadence.at', 'unknown field'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'month', at: '06:00' } } }, 'source.cadence.at', 'unknown field'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'week' } } }, 'source.cadence.every', 'must be one of'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, fields: ['speed', 'colour'] } }, 'source.fields[1]', 'must be one of location, speed'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, fields: [] } }, 'source.fields', 'at least 1'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, fields: ['speed', 'speed'] } }, 'source.fields[1]', 'repeats'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, units: 'furlongs' } }, 'source.units', 'must be one of metric, imperial'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, maxRequestBytes: 1_048_577 } }, 'source.maxRequestBytes', '<= 1048576'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, maxRequestBytes: 100 } }, 'source.maxRequestBytes', '>= 1024'],
    [{ ...base, source: { kind: 'scheduled', cadence: { every: 'hour' }, maxRequestBytes: '1MiB' } }, 'source.maxRequestBytes', 'integer'],
    [{ ...base, source: { kind: 'gps', units: 'metric' } }, 'source.units', 'unknown field'],
    [{ ...base, source: { kind: 'gps', eventTypes: [] } }, 'source.eventTypes', 'unknown field'],
    [{ ...base, vehicleFilter: { vehicleIds: [] } }, 'vehicleFilter.vehicleIds', 'at least 1'],
    [{ ...base, vehicleFilter: { vehicleIds: [1] } }, 'vehicleFilter.vehicleIds[0]', 'must be an id'],
    [{ ...base, contentType: 'text/xml' }, 'contentType', 'must be one of'],
    [{ ...base, batching: { maxItems: 501, maxWaitMs: 0 } }, 'batching.maxItems', '>= 1 and <= 500'],
    [{ ...base, batching: { maxItems: 0, maxWaitMs: 0 } }, 'batching.maxItems', '>= 1 and <= 500'],
    [{ ...base, batching: { maxItems: 10, maxWaitMs: 5001 } }, 'batching.maxWaitMs', '>= 0 and <= 5000'],
    [{ ...base, batching: { maxItems: 1.5, maxWaitMs: 0 } }, 'batching.maxItems', 'integer'],
    [{ ...base, auth: { type: 'basic', userName: 'u' } }, 'auth.password', 'is required'],
    [{ ...base, auth: { type: 'basic', userName: 'u:x', password: 'p' } }, 'auth.userName', 'must not contain ":"'],
    [{ ...base, auth: { type: 'bearer', tokenValue: 't', authorization: 'x' } }, 'auth.authorization', 'cannot be combined'],
    [{ ...base, auth: { type: 'bearer', tokenValue: 'a\r\nX-Injected: 1' } }, 'auth.tokenValue', 'line breaks'],
    [{ ...base, auth: { type: 'bearer', tokenValue: '********' } }, 'auth.tokenValue', 'masked'],
    [{ ...base, auth: { type: 'custom', tokenName: 'Bad Header', tokenValue: 't' } }, 'auth.tokenName', 'header name'],
    [{ ...base, auth: { type: 'custom', tokenName: 'Webhook-Signature', tokenValue: 't' } }, 'auth.tokenName', 'set by fleethook'],
    [{ ...base, auth: { type: 'oauth' } }, 'auth.type', 'must be one of'],
    [{ ...base, alertEmails: ['not-an-email'] }, 'alertEmails[0]', 'e-mail'],
    [{ ...base, alertEmails: 'ops@example.com' }, 'alertEmails', 'must be an array'],
    [{ ...base, retryPolicy: 'forever' }, 'retryPolicy', 'must be one of'],
    [{ ...base, enabled: 'yes' }, 'enabled', 'boolean'],
    [{ ...base, id: 'sub_x' }, 'id', 'unknown field'],
    [{ ...base, state: 'active' }, 'state', 'unknown field'],
    [[], '(body)', 'must be an object'],
    [null, '(body)', 'must be an object'],
  ])('rejects %j at %s', (body, field, message) => {
    const issues = issuesOf(body);
    expect(issues.map((i) => i.field)).toContain(field);
    expect(issues.find((i) => i.field === field)?.message).toContain(message);
  });

  it('reports every problem at once', () => {
    expect(issuesOf({ url: 1, name: 2, source: { kind: 'x' }, nope: true }).map((i) => i.field).sort()).toEqual(['name', 'nope', 'source.kind', 'url']);
  });

  it('accepts plain http as syntax; whether the operator allows it is checkUrlPolicy\'s (url-policy.test.ts)', () => {
    expect(decodeSubscriptionCreate({ ...base, url: 'http://127.0.0.1:8080/' }).kind).toBe('ok');
  });
});

describe('subscription patch validation', () => {
  it('accepts a subset and rejects an empty patch', () => {
    expect(decodeSubscriptionPatch({ name: 'x' })).toEqual({ kind: 'ok', value: { name: 'x' } });
    expect(decodeSubscriptionPatch({ vehicleFilter: null })).toEqual({ kind: 'ok', value: { vehicleFilter: null } });
    expect(decodeSubscriptionPatch({}).kind).toBe('invalid');
    const bad = decodeSubscriptionPatch({ batching: { maxItems: 900, maxWaitMs: 1 }, bogus: 1 });
    expect(bad.kind === 'invalid' && bad.issues.map((i) => i.field)).toEqual(['batching.maxItems', 'bogus']);
  });
});
