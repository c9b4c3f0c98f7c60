import type { FieldIssue } from '../errors.js';
import { checkWebhookUrl } from './check-webhook-url.js';
import { decodeEndpointAuth } from './decode-endpoint-auth.js';
import { decodeSource, idItem } from './decode-source.js';
import { FieldReader } from '../field-reader.js';
import { contentTypes, defaults, limits, retryPolicyNames } from './subscription-types.js';
import { maxEmailLength, textRules } from './text-rules.js';
import type { Batching, RetryPolicyName, SubscriptionSource, SubscriptionSpec, VehicleFilter } from './subscription-types.js';

/**
 * A subscription field is either left out or has a value: null is refused (vehicleFilter
 * reads it itself). Messages never quote a sent string: the admin API does not echo input.
 */
const strict = { rejectNull: true, quoteStrings: false } as const;

/** What a client may send on PATCH: any subset of the spec, plus `enabled`. */
export type SpecPatch = Partial<SubscriptionSpec<string>> & { readonly enabled?: boolean };
/** What a client sends on POST: a full spec (defaults filled in), plus `enabled`. */
export type SpecCreate = SubscriptionSpec<string> & { readonly enabled: boolean };

export type Decoded<T> = { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'invalid'; readonly issues: readonly FieldIssue[] };

/**
 * Decodes a create request body: its shape and syntax (a 400 when it fails). Pure: what
 * the operator allows (check-webhook-url.ts `checkUrlPolicy`) and DNS (ssrf-guard.ts) come after.
 */
export function decodeSubscriptionCreate(body: unknown): Decoded<SpecCreate> {
  const issues: FieldIssue[] = [];
  const patch = decodeFields(body, issues, true);
  if (issues.length > 0 || !patch || patch.url === undefined || patch.name === undefined || patch.source === undefined) {
    return { kind: 'invalid', issues: issues.length > 0 ? issues : [{ field: '(body)', message: 'invalid subscription' }] };
  }
  const source = patch.source;
  return {
    kind: 'ok',
    value: {
      url: patch.url,
      name: patch.name,
      source,
      vehicleFilter: patch.vehicleFilter ?? null,
      contentType: patch.contentType ?? defaults.contentType,
      batching: patch.batching ?? defaultBatching(source),
      auth: patch.auth ?? { type: 'none' },
      alertEmails: patch.alertEmails ?? [],
      retryPolicy: patch.retryPolicy ?? defaultRetryPolicy(source),
      enabled: patch.enabled ?? true,
    },
  };
}

/** Decodes a patch request body; top-level fields replace the stored ones whole. */
export function decodeSubscriptionPatch(body: unknown): Decoded<SpecPatch> {
  const issues: FieldIssue[] = [];
  const patch = decodeFields(body, issues, false);
  if (issues.length > 0 || !patch) return { kind: 'invalid', issues };
  if (Object.keys(patch).length === 0) return { kind: 'invalid', issues: [{ field: '(body)', message: 'must change at least one field' }] };
  return { kind: 'ok', value: patch };
}

export function defaultBatching(source: SubscriptionSource): Batching {
  return source.kind === 'event' ? defaults.eventBatching : defaults.batching;
}

/** Scheduled subscriptions default to Smartcar's rule (5 retries over 10 minutes, then disabled); the rest to the standard policy. */
export function defaultRetryPolicy(source: SubscriptionSource): RetryPolicyName {
  return source.kind === 'scheduled' ? 'disable-10m' : defaults.retryPolicy;
}

function decodeFields(body: unknown, issues: FieldIssue[], creating: boolean): SpecPatch | undefined {
  // A URL may carry credentials (rejected below) or a token in its query: never echo it.
  const r = FieldReader.of(body, '', issues, { ...strict, redact: ['url'] });
  if (!r) return undefined;
  const out: Record<string, unknown> = {};
  const rawUrl = r.string('url', { required: creating, max: limits.maxUrlLength });
  if (rawUrl !== undefined) {
    const check = checkWebhookUrl(rawUrl);
    if (check.kind === 'invalid') r.fail('url', check.message);
    else out.url = check.url;
  }
  out.name = r.string('name', { required: creating, max: limits.maxNameLength, pattern: textRules.plainText, patternHint: 'must not contain control characters' });
  out.enabled = r.bool('enabled', { required: false });
  // Objects are decoded whenever sent, null included: a null vehicleFilter means every vehicle.
  const source = r.raw('source');
  if (source !== undefined || creating) out.source = decodeSource(source, 'source', issues);
  const vehicleFilter = r.raw('vehicleFilter');
  if (vehicleFilter !== undefined) out.vehicleFilter = decodeVehicleFilter(vehicleFilter, issues);
  out.contentType = r.oneOf('contentType', contentTypes, { required: false });
  const batching = r.raw('batching');
  if (batching !== undefined) out.batching = decodeBatching(batching, issues);
  const auth = r.raw('auth');
  if (auth !== undefined) out.auth = decodeEndpointAuth(auth, 'auth', issues);
  out.alertEmails = r.stringList('alertEmails', {
    required: false, maxItems: limits.maxAlertEmails, items: { maxLength: maxEmailLength, pattern: textRules.email, hint: 'must be an e-mail address (user@host.domain; no IP literal, no control characters)' }, unique: true,
  });
  out.retryPolicy = r.oneOf('retryPolicy', retryPolicyNames, { required: false });
  r.rejectUnknown();
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as SpecPatch;
}

/** `null` means every vehicle of the account. */
function decodeVehicleFilter(value: unknown, issues: FieldIssue[]): VehicleFilter | null | undefined {
  if (value === null) return null;
  const r = FieldReader.of(value, 'vehicleFilter', issues, strict);
  if (!r) return undefined;
  const vehicleIds = r.stringList('vehicleIds', {
    minItems: 1, maxItems: limits.maxVehicleIds, items: idItem, unique: true,
  });
  r.rejectUnknown();
  return vehicleIds && { vehicleIds };
}

function decodeBatching(value: unknown, issues: FieldIssue[]): Batching | undefined {
  const r = FieldReader.of(value, 'batching', issues, strict);
  if (!r) return undefined;
  const maxItems = r.number('maxItems', { integer: true, min: 1, max: limits.maxBatchItems });
  const maxWaitMs = r.number('maxWaitMs', { integer: true, min: 0, max: limits.maxBatchWaitMs });
  r.rejectUnknown();
  return maxItems === undefined || maxWaitMs === undefined ? undefined : { maxItems, maxWaitMs };
}
