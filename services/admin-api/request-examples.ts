import { ValidationError } from '../shared/errors.js';
import type { FieldIssue } from '../shared/errors.js';
import { endpointHeaders } from '../shared/subscriptions/endpoint-headers.js';
import { contentTypes, defaults, eventTypes } from '../shared/subscriptions/subscription-types.js';
import type { ContentType, EndpointAuth, EventSelection, EventType, Subscription, SubscriptionSource } from '../shared/subscriptions/subscription-types.js';
import { testEventBody } from './test-event-body.js';

export const exampleKinds = ['gps', 'dtc', 'event', 'scheduled'] as const;
export const exampleAuthTypes = ['none', 'basic', 'bearer', 'apikey', 'custom'] as const;
type ExampleKind = (typeof exampleKinds)[number];
type ExampleAuthType = (typeof exampleAuthTypes)[number];

export interface ExampleQuery {
  readonly kind: ExampleKind;
  readonly contentType: ContentType;
  readonly eventType: EventType;
  readonly auth: ExampleAuthType;
}

export interface RequestExample {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A fixed, published signing secret: examples are signed for real, with a key nobody uses. */
export const exampleSigningSecret = `whsec_${Buffer.from('fleethook example key, not yours').toString('base64')}`;
const exampleWebhookId = 'msg_0123456789abcdef01234567';

/** `?kind=&contentType=&eventType=&auth=`; `kind` is required, the rest default; anything else is refused. */
export function decodeExampleQuery(query: URLSearchParams): ExampleQuery {
  const issues: FieldIssue[] = [];
  const known = ['kind', 'contentType', 'eventType', 'auth'];
  for (const key of new Set(query.keys())) {
    if (!known.includes(key)) issues.push({ field: `query.${key}`, message: 'is not a known parameter' });
    else if (query.getAll(key).length > 1) issues.push({ field: `query.${key}`, message: 'must be given once' });
  }
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T | null): T => {
    const v = query.get(name);
    if (v === null && fallback !== null) return fallback;
    if (v !== null && (allowed as readonly string[]).includes(v)) return v as T;
    issues.push({ field: `query.${name}`, message: v === null ? 'is required' : `must be one of ${allowed.join(', ')}` });
    return allowed[0] as T;
  };
  const q: ExampleQuery = {
    kind: pick('kind', exampleKinds, null),
    contentType: pick('contentType', contentTypes, defaults.contentType),
    eventType: pick('eventType', eventTypes, 'heartbeat'),
    auth: pick('auth', exampleAuthTypes, 'none'),
  };
  if (issues.length > 0) throw new ValidationError(issues);
  return q;
}

/**
 * The headers and body an endpoint would get for this kind and content type, built by
 * the code that builds test events and live requests (`testEventBody` → `buildBody`,
 * `endpointHeaders`), signed with `exampleSigningSecret`. Auth headers carry placeholders.
 */
export function requestExample(q: ExampleQuery, accountId: string, now: Date): RequestExample {
  const sub = exampleSubscription(q, accountId, now);
  const event = testEventBody(sub, exampleWebhookId, now);
  return { headers: endpointHeaders(sub, { webhookId: exampleWebhookId, body: event.body, contentType: q.contentType, now }), body: event.body };
}

function exampleSubscription(q: ExampleQuery, accountId: string, now: Date): Subscription {
  const at = now.toISOString();
  return {
    id: 'sub_example', accountId, url: 'https://hooks.example.com/fleet', name: 'example', state: 'active', source: exampleSource(q),
    vehicleFilter: null, contentType: q.contentType, batching: defaults.batching, auth: exampleAuth(q.auth), alertEmails: [],
    retryPolicy: defaults.retryPolicy, signing: { current: exampleSigningSecret, previous: null, previousExpiresAt: null, rotatedAt: null },
    verifiedAt: at, createdAt: at, updatedAt: at, revision: 1,
  };
}

function exampleSource(q: ExampleQuery): SubscriptionSource {
  switch (q.kind) {
    case 'gps':
    case 'dtc':
      return { kind: q.kind };
    case 'event':
      return { kind: 'event', eventTypes: [exampleSelection(q.eventType)] };
    case 'scheduled':
      return { kind: 'scheduled', cadence: { every: 'hour' } };
  }
}

function exampleSelection(type: EventType): EventSelection {
  switch (type) {
    case 'speeding':
      return { type, threshold: 80, units: 'kmh' };
    case 'posted_speeding':
      return { type, threshold: 10, units: 'kmh' };
    case 'idle':
      return { type, minutes: 5 };
    // landmark_*: no landmarkIds, i.e. all the account's landmarks (an id must be one the landmarks API returned).
    default:
      return { type };
  }
}

function exampleAuth(type: ExampleAuthType): EndpointAuth<string> {
  switch (type) {
    case 'none':
      return { type };
    case 'basic':
      return { type, userName: 'your-user', password: 'your-password' };
    case 'bearer':
    case 'apikey':
      return { type, tokenValue: 'your-token' };
    case 'custom':
      return { type, tokenName: 'X-Your-Header', tokenValue: 'your-token' };
  }
}
