// The create/edit form's choices and limits, read from the API's own OpenAPI document (the source of truth).
import { api } from './api.js';

let cached = null;

const firstWith = (variants, key) => variants.find((v) => v.properties?.[key]);

/** Enums and bounds the form offers, from `/v1/openapi.json`'s schemas. */
export async function formSchema() {
  if (cached) return cached;
  const r = await api('GET', '/v1/openapi.json');
  if (!r.ok) throw new Error('the OpenAPI document could not be loaded');
  const s = r.body.components.schemas;
  const create = s.SubscriptionCreate.properties;
  const selections = s.EventSelection.oneOf;
  // A type can have several variants (speeding: kmh, mph, the older km/h-only field): list it once.
  const eventTypes = [...new Set(selections.flatMap((v) => (v.properties.type.const ? [v.properties.type.const] : v.properties.type.enum)))];
  const kinds = s.Source.oneOf.flatMap((v) => (v.properties.kind.const ? [v.properties.kind.const] : v.properties.kind.enum));
  const minutes = firstWith(s.Cadence.oneOf, 'minutes').properties.minutes;
  cached = {
    kinds,
    eventTypes,
    threshold: firstWith(selections, 'thresholdKph').properties.thresholdKph,
    overLimit: firstWith(selections, 'overLimitKph').properties.overLimitKph,
    cadences: s.Cadence.oneOf.flatMap((v) => (v.properties.every.const ? [v.properties.every.const] : v.properties.every.enum)),
    minutes,
    contentTypes: create.contentType.enum,
    retryPolicies: create.retryPolicy.enum,
    batching: s.Batching.properties,
    authTypes: s.AuthInput.oneOf.map((v) => v.properties.type.const),
    maxAlertEmails: create.alertEmails.maxItems,
    maxNameLength: create.name.maxLength,
  };
  return cached;
}
