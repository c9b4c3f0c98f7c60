import type { FieldIssue } from '../errors.js';
import { readScheduledOptions } from './read-scheduled-options.js';
import { readCadence } from './decode-cadence.js';
import { FieldReader, complete } from '../field-reader.js';
import { speedUnits } from '../../../schemas/telemetry-records.js';
import { isSealedSecret } from '../secret-box.js';
import { contentTypes, eventTypes, retryPolicyNames, subscriptionStates } from './subscription-types.js';
import type {
  AlertEmailConfirmation, AlertEmailConfirmations, Cadence, EndpointAuth, EventSelection, SealedSecret, SpeedEventType, StoredSubscription, SubscriptionSource,
} from './subscription-types.js';

/**
 * Decodes the `subscription` object of a `webhook.subscriptions` record into a typed
 * StoredSubscription, or undefined with the issues. It checks the structure and that every
 * secret is sealed, not the admin API's input rules (lengths, patterns, limits): the record
 * was written by fleethook after those checks, and a rule tightened later must not make the
 * catalogue drop a subscription it already holds. Fields it does not know are ignored.
 */
export function decodeStoredSubscription(value: unknown, issues: FieldIssue[]): StoredSubscription | undefined {
  // Nothing is quoted: records hold URLs, addresses and sealed secrets.
  const r = FieldReader.of(value, 'subscription', issues, { quoteStrings: false });
  if (r === null) return undefined;
  const fields = complete({
    id: r.string('id', text),
    accountId: r.string('accountId', text),
    url: r.string('url', text),
    name: r.string('name', text),
    createdAt: r.string('createdAt', text),
    updatedAt: r.string('updatedAt', text),
    contentType: r.oneOf('contentType', contentTypes),
    retryPolicy: r.oneOf('retryPolicy', retryPolicyNames),
    state: r.oneOf('state', subscriptionStates),
    revision: r.number('revision'),
    verifiedAt: r.nullable('verifiedAt', (n) => r.string(n, text)),
    source: r.object('source', readSource),
    vehicleFilter: r.nullable('vehicleFilter', (n) => r.object(n, (f) => complete({ vehicleIds: f.stringList('vehicleIds', anyList) }))),
    batching: r.object('batching', (b) => complete({ maxItems: b.number('maxItems'), maxWaitMs: b.number('maxWaitMs') })),
    alertEmails: r.stringList('alertEmails', anyList),
    auth: r.object('auth', readAuth),
    signing: r.object('signing', (s) => complete({
      current: sealed(s, 'current'),
      previous: s.nullable('previous', (n) => sealed(s, n)),
      previousExpiresAt: s.nullable('previousExpiresAt', (n) => s.string(n, text)),
      rotatedAt: s.nullable('rotatedAt', (n) => s.string(n, text)),
    })),
  });
  const urlSecrets = r.has('urlSecrets') ? r.list('urlSecrets', anyList, (item, path) => sealedItem(item, path, issues)) : undefined;
  const confirmations = r.has('alertEmailConfirmations') ? r.object('alertEmailConfirmations', readConfirmations) : undefined;
  const liveSince = r.has('liveSince') ? r.string('liveSince', text) : undefined;
  if (fields === undefined || (r.has('urlSecrets') && urlSecrets === undefined) || (r.has('alertEmailConfirmations') && confirmations === undefined) || (r.has('liveSince') && liveSince === undefined)) return undefined;
  return {
    ...fields, ...(urlSecrets === undefined ? {} : { urlSecrets }), ...(confirmations === undefined ? {} : { alertEmailConfirmations: confirmations }),
    ...(liveSince === undefined ? {} : { liveSince }),
  };
}

const text = { max: Number.MAX_SAFE_INTEGER, min: 0 } as const;
const anyList = { maxItems: Number.MAX_SAFE_INTEGER } as const;
const sealedHint = 'must be a sealed secret';

function sealed(r: FieldReader, name: string): SealedSecret | undefined {
  const value = r.raw(name);
  return isSealedSecret(value) ? value : r.fail(name, sealedHint);
}

function sealedItem(item: unknown, path: string, issues: FieldIssue[]): SealedSecret | undefined {
  if (isSealedSecret(item)) return item;
  issues.push({ field: path, message: sealedHint });
  return undefined;
}

function readAuth(a: FieldReader): EndpointAuth<SealedSecret> | undefined {
  const type = a.oneOf('type', ['none', 'basic', 'bearer', 'apikey', 'custom'] as const);
  const authorization = a.has('authorization') ? sealed(a, 'authorization') : undefined;
  const optional = authorization === undefined ? {} : { authorization };
  if (a.has('authorization') && authorization === undefined) return undefined;
  switch (type) {
    case 'none':
      return { type, ...optional };
    case 'basic': {
      const f = complete({ userName: a.string('userName', text), password: sealed(a, 'password') });
      return f && { type, ...f };
    }
    case 'bearer': {
      const tokenValue = sealed(a, 'tokenValue');
      return tokenValue && { type, tokenValue };
    }
    case 'apikey': {
      const tokenValue = sealed(a, 'tokenValue');
      return tokenValue && { type, tokenValue, ...optional };
    }
    case 'custom': {
      const f = complete({ tokenName: a.string('tokenName', text), tokenValue: sealed(a, 'tokenValue') });
      return f && { type, ...f, ...optional };
    }
    case undefined:
      return undefined;
  }
}

function readSource(s: FieldReader): SubscriptionSource | undefined {
  const kind = s.oneOf('kind', ['gps', 'dtc', 'event', 'scheduled'] as const);
  switch (kind) {
    case 'gps':
    case 'dtc':
      return { kind };
    case 'event': {
      const selections = s.objectList('eventTypes', { ...anyList, minItems: 1 }, readSelection);
      return selections && { kind, eventTypes: selections };
    }
    case 'scheduled': {
      const cadence = s.object('cadence', readStoredCadence);
      const options = readScheduledOptions(s, false);
      return cadence && options && { kind, cadence, ...options };
    }
    case undefined:
      return undefined;
  }
}

function readSelection(e: FieldReader): EventSelection | undefined {
  const type = e.oneOf('type', eventTypes);
  switch (type) {
    case 'speeding':
    case 'posted_speeding':
      return readSpeedSelection(e, type);
    case 'idle': {
      if (!e.has('minutes')) return { type };
      const minutes = e.number('minutes');
      return minutes === undefined ? undefined : { type, minutes };
    }
    case 'landmark_enter':
    case 'landmark_leave':
    case 'landmark_change': {
      // An empty list was how "all landmarks" could be stored; absent says it now.
      if (!e.has('landmarkIds')) return { type };
      const landmarkIds = e.stringList('landmarkIds', anyList);
      return landmarkIds && (landmarkIds.length === 0 ? { type } : { type, landmarkIds });
    }
    case undefined:
      return undefined;
    default:
      return { type };
  }
}

/** `{ threshold, units }`, or the km/h-only field of records written before units existed. */
function readSpeedSelection(e: FieldReader, type: SpeedEventType): EventSelection | undefined {
  const legacy = type === 'speeding' ? 'thresholdKph' : 'overLimitKph';
  if (e.has(legacy) && !e.has('threshold')) {
    const threshold = e.number(legacy);
    return threshold === undefined ? undefined : { type, threshold, units: 'kmh' };
  }
  const f = complete({ threshold: e.number('threshold'), units: e.oneOf('units', speedUnits) });
  return f && { type, ...f };
}

function readStoredCadence(c: FieldReader): Cadence | undefined {
  return readCadence(c, false);
}

function readConfirmations(r: FieldReader): AlertEmailConfirmations | undefined {
  const out: Record<string, AlertEmailConfirmation> = {};
  let ok = true;
  for (const address of r.keys()) {
    const one = r.object(address, readConfirmation);
    if (one === undefined) ok = false;
    else out[address] = one;
  }
  return ok ? out : undefined;
}

function readConfirmation(c: FieldReader): AlertEmailConfirmation | undefined {
  const state = c.oneOf('state', ['pending', 'confirmed'] as const);
  if (state === 'pending') {
    const f = complete({ tokenHash: c.string('tokenHash', text), requestedAt: c.string('requestedAt', text), expiresAt: c.string('expiresAt', text) });
    return f && { state, ...f };
  }
  if (state === 'confirmed') {
    const f = complete({ confirmedAt: c.string('confirmedAt', text), via: c.oneOf('via', ['link', 'owner'] as const) });
    return f && { state, ...f };
  }
  return undefined;
}
