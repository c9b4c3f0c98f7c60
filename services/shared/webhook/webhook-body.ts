import type { Dtc, GpsPoint, VehicleEvent } from '../../../schemas/telemetry-records.js';
import type { Subscription } from '../subscriptions/subscription-types.js';

/** The version of the request body (head and items); additive changes keep it. */
export const payloadVersion = 1;

/** The kinds of items a request carries. */
export type PayloadKind = 'gps' | 'dtc' | 'event' | 'scheduled';

/** The head's `eventName`: what produced the items (`scheduled`: a scheduled webhook's slot, written by the scheduler). */
export type EventName = 'eventBased' | 'gps' | 'dtc' | 'scheduled';

export function eventNameOf(kind: PayloadKind): EventName {
  return kind === 'event' ? 'eventBased' : kind;
}

/** What the head says beside the items. */
export interface BodyHead {
  readonly webhookId: string;
  /** `simulated`: every item comes from a vehicle marked simulated (DESIGN.md §5). */
  readonly mode: 'live' | 'test' | 'simulated' | 'replay';
  /** A replay's requests (`mode: "replay"`) name their replay (issue 15); absent otherwise. */
  readonly replayId?: string;
  readonly createdAt: Date;
  /** When the request's first item was queued (its batch opened). */
  readonly enqueueTime: Date;
  /** When this attempt was sent. */
  readonly requestTime: Date;
  readonly retryCount: number;
  readonly queueDepth: number;
}

/**
 * The body of DESIGN.md §5, for live requests and test events alike: a head (message id,
 * type, event name, payload version, mode, account and subscription ids, creation time,
 * enqueue time, request time, retry count, queue depth) and `data`, the items in order.
 * `dataJson` is the items' JSON array text, spliced in as is. JSON subscriptions get one
 * JSON object. Form-encoded subscriptions (`application/x-www-form-urlencoded`) get every
 * head field as a form field with its value as text, and `data` as one field holding the
 * JSON array — parseable with any standard form parser.
 */
export function buildBody(sub: Pick<Subscription, 'id' | 'accountId' | 'contentType'>, kind: PayloadKind, dataJson: string, h: BodyHead): string {
  if (sub.contentType === 'application/json') return `${jsonBodyOpening(sub, kind, h)}${dataJson}}`;
  const form = new URLSearchParams(Object.entries(bodyHead(sub, kind, h)).map(([k, v]) => [k, String(v)]));
  form.set('data', dataJson);
  return form.toString();
}

/** A JSON body up to its `data` value: `buildBody`'s JSON is this, the items' array text, then `}`. */
export function jsonBodyOpening(sub: Pick<Subscription, 'id' | 'accountId'>, kind: PayloadKind, h: BodyHead): string {
  return `${JSON.stringify(bodyHead(sub, kind, h)).slice(0, -1)},"data":`;
}

function bodyHead(sub: Pick<Subscription, 'id' | 'accountId'>, kind: PayloadKind, h: BodyHead): Record<string, string | number> {
  return {
    id: h.webhookId,
    type: kind,
    eventName: eventNameOf(kind),
    version: payloadVersion,
    mode: h.mode,
    accountId: sub.accountId,
    subscriptionId: sub.id,
    createdAt: h.createdAt.toISOString(),
    enqueueTime: h.enqueueTime.toISOString(),
    requestTime: h.requestTime.toISOString(),
    retryCount: h.retryCount,
    queueDepth: h.queueDepth,
    ...(h.replayId === undefined ? {} : { replayId: h.replayId }),
  };
}

/** A telemetry record as an endpoint receives it: time in ISO 8601, null (absent) fields left out. */
export function endpointData(record: Readonly<Record<string, unknown>> | GpsPoint | Dtc | VehicleEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Keys, then values: no [key, value] array per field (this runs once per matched record).
  const fields = record as Readonly<Record<string, unknown>>;
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    if (v === null || v === undefined) continue;
    out[k] = k === 'time' && typeof v === 'number' ? new Date(v).toISOString() : v;
  }
  return out;
}
