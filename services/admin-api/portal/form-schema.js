// The create/edit form's choices and limits, read from the API's own OpenAPI document (the source of truth).
import { api } from './api.js';

let cached = null;

const firstWith = (variants, key) => variants.find((v) => v.properties?.[key]);

/** The threshold bounds of a speed type, by units: { kmh: { minimum, maximum }, mph: … }. */
function speedBounds(variants, type) {
  return Object.fromEntries(variants.filter((v) => v.properties.type.const === type).map((v) => [v.properties.units.const, v.properties.threshold]));
}

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
  // One variant per type and units (`threshold` + `units`); the deprecated km/h-only fields are not offered.
  const speedVariants = selections.filter((v) => v.properties.threshold && v.properties.units?.const);
  cached = {
    kinds,
    eventTypes,
    speedUnits: [...new Set(speedVariants.map((v) => v.properties.units.const))],
    speed: { speeding: speedBounds(speedVariants, 'speeding'), posted_speeding: speedBounds(speedVariants, 'posted_speeding') },
    idleMinutes: selections.find((v) => v.properties.type.const === 'idle').properties.minutes,
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
