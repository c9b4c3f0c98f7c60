import { plausibleTimeWindow, telemetryValidators } from '../shared/telemetry/telemetry-rules.js';

/**
 * The producer library's validation: the shared telemetry rules
 * (`shared/telemetry/telemetry-rules.ts`, also applied by the dispatcher's match stage)
 * with the plausible time window, so historical backfills can be published.
 */
export type { RecordValidator } from '../shared/telemetry/telemetry-rules.js';
export { requiredEventDetails, validateBatch } from '../shared/telemetry/telemetry-rules.js';

const validators = telemetryValidators(plausibleTimeWindow);
export const validateGpsPoint = validators.gps;
export const validateDtc = validators.dtc;
export const validateVehicleEvent = validators.event;
