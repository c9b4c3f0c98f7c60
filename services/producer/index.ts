/** The producer library's public surface. */
export { TelemetryProducer } from './telemetry-producer.js';
export type { PublishResult, TelemetryBatch } from './telemetry-producer.js';
export { connectTelemetryProducer } from './connect-telemetry-producer.js';
export { loadConfig, producerDefaults } from './config.js';
export type { ProducerConfig, Compression } from './config.js';
export { validateGpsPoint, validateDtc, validateVehicleEvent, validateBatch } from './telemetry-validator.js';
export type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
