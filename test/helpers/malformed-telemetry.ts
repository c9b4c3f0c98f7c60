import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import type { AvroEncoder } from '../../services/shared/schema-registry-client.js';

/** The three telemetry topics by their catalogue id. */
export type TelemetryTopicId = 'telemetry.gps' | 'telemetry.dtc' | 'telemetry.events';

export interface Encoders {
  readonly gps: AvroEncoder<GpsPoint>;
  readonly dtc: AvroEncoder<Dtc>;
  readonly events: AvroEncoder<VehicleEvent>;
}

/** One record to publish: valid ones carry the identity the endpoint must see, malformed ones the reason expected. */
export type TestRecord =
  | { readonly kind: 'valid'; readonly topicId: TelemetryTopicId; readonly key: string; readonly value: Buffer; readonly vehicleId: string; readonly seq: number }
  | { readonly kind: 'malformed'; readonly topicId: TelemetryTopicId; readonly key: string; readonly value: Buffer | null; readonly reason: RegExp; readonly label: string };

/** mulberry32: a small seeded PRNG, so a failing run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Seq numbers of malformed records start here, so one reaching an endpoint is recognised. */
export const malformedSeqBase = 900_000;

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

type Mutation<T> = { readonly label: string; readonly patch: Partial<Record<keyof T, unknown>>; readonly reason: RegExp };

function gpsMutations(nowMs: number): Mutation<GpsPoint>[] {
  return [
    { label: 'lat 999', patch: { lat: 999 }, reason: /lat must be >= -90 and <= 90 \(degrees\), got 999/ },
    { label: 'lat NaN', patch: { lat: Number.NaN }, reason: /lat must be a finite number \(degrees\), got NaN/ },
    { label: 'lon -500', patch: { lon: -500 }, reason: /lon must be >= -180 and <= 180 \(degrees\), got -500/ },
    { label: 'lon Infinity', patch: { lon: Number.POSITIVE_INFINITY }, reason: /lon must be a finite number.*got Infinity/ },
    { label: 'speed NaN', patch: { speedKmh: Number.NaN }, reason: /speedKmh must be a finite number.*got NaN/ },
    { label: 'speed negative', patch: { speedKmh: -3 }, reason: /speedKmh must be >= 0.*got -3/ },
    { label: 'heading 720', patch: { headingDeg: 720 }, reason: /headingDeg must be >= 0 and < 360.*got 720/ },
    { label: 'odometer -Infinity', patch: { odometerKm: Number.NEGATIVE_INFINITY }, reason: /odometerKm must be a finite number.*got -Infinity/ },
    { label: 'time 9e15', patch: { time: 9e15 }, reason: /time must be >= \d+ and < \d+ \(epoch milliseconds.*got 9000000000000000/ },
    { label: 'time 2 h ahead', patch: { time: nowMs + 2 * hourMs }, reason: /time must be >= \d+ and < \d+ \(epoch milliseconds at most 30 day\(s\) before and 1 hour\(s\) after now\), got \d+/ },
    { label: 'time 40 days old', patch: { time: nowMs - 40 * dayMs }, reason: /time must be >= \d+.*got \d+/ },
    { label: 'time negative', patch: { time: -1 }, reason: /time must be >= \d+.*got -1/ },
    { label: 'driverId with a control character', patch: { driverId: 'drv\u0000 1' }, reason: /driverId must not be empty or contain control characters, got "drv\\u0000 1"/ },
    { label: 'vehicleId with a newline', patch: { vehicleId: 'veh\nX' }, reason: /vehicleId must not be empty or contain control characters, got "veh\\nX"/ },
    { label: 'accountId with DEL', patch: { accountId: 'acc_m\u007f' }, reason: /accountId must not be empty or contain control characters, got "acc_m\u007f"/ },
    { label: 'blank vehicleId', patch: { vehicleId: '   ' }, reason: /vehicleId must not be empty/ },
    { label: 'posted limit NaN', patch: { postedSpeedLimitKmh: Number.NaN }, reason: /postedSpeedLimitKmh must be a finite number/ },
    { label: 'negative seq', patch: { seq: -5 }, reason: /seq must be >= 0.*got -5/ },
  ];
}

const dtcMutations: Mutation<Dtc>[] = [
  { label: 'J1939 without spn', patch: { spn: null }, reason: /spn is required/ },
  { label: 'fmi 99', patch: { fmi: 99 }, reason: /fmi must be >= 0 and <= 31.*got 99/ },
  { label: 'code with a tab', patch: { code: '110\t0' }, reason: /code must not be empty or contain control characters/ },
  { label: 'empty code', patch: { code: '' }, reason: /code must not be empty/ },
];

const eventMutations: Mutation<VehicleEvent>[] = [
  { label: 'speeding without speed', patch: { speedKmh: null }, reason: /speedKmh is required for a speeding event/ },
  { label: 'lat without lon', patch: { lat: 10, lon: null }, reason: /lon must be given together with lat\/lon/ },
  { label: 'temperature 5000', patch: { temperatureCelsius: 5000 }, reason: /temperatureCelsius must be >= -100 and <= 200.*got 5000/ },
  { label: 'landmarkId with ESC', patch: { landmarkId: 'lm\u001b[31m' }, reason: /landmarkId must not be empty or contain control characters/ },
];

/**
 * Generates `count` malformed records with a valid record of the same vehicle (same key,
 * so same partition, later offset) right behind each one: undecodable bytes, unknown
 * schema ids, truncated or padded Avro bodies, and valid Avro with impossible values
 * (the shared rules' cases). Deterministic for a seed.
 */
export function generateMalformedWithValid(options: { seed: number; count: number; accountId: string; encoders: Encoders; nowMs: number }): TestRecord[] {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const { accountId, encoders, nowMs } = options;
  const seqs = new Map<string, number>();
  const nextSeq = (vehicleId: string): number => {
    const n = (seqs.get(vehicleId) ?? 0) + 1;
    seqs.set(vehicleId, n);
    return n;
  };
  const gps = (vehicleId: string, seq: number): GpsPoint => ({
    vehicleId, accountId, time: nowMs, lat: 52.5, lon: 13.4, speedKmh: 40, headingDeg: 90, odometerKm: 1_000 + seq, ignition: true, driverId: 'drv_1', seq,
  });
  const dtc = (vehicleId: string, seq: number): Dtc => ({ vehicleId, accountId, time: nowMs, code: '110-0', source: 'J1939', spn: 110, fmi: 0, status: 'active', seq });
  const event = (vehicleId: string, seq: number): VehicleEvent => ({ vehicleId, accountId, time: nowMs, type: 'speeding', speedKmh: 130, speedLimitKmh: 100, lat: 52.5, lon: 13.4, temperatureCelsius: 20, landmarkId: 'lm_1', seq });
  const valid = (topicId: TelemetryTopicId, vehicleId: string): TestRecord => {
    const seq = nextSeq(`${topicId}/${vehicleId}`);
    const value = topicId === 'telemetry.gps' ? encoders.gps.encode(gps(vehicleId, seq))
      : topicId === 'telemetry.dtc' ? encoders.dtc.encode(dtc(vehicleId, seq)) : encoders.events.encode(event(vehicleId, seq));
    return { kind: 'valid', topicId, key: vehicleId, value, vehicleId, seq };
  };
  const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const out: TestRecord[] = [];
  for (let i = 0; i < options.count; i++) {
    const topicId = pick<TelemetryTopicId>(['telemetry.gps', 'telemetry.gps', 'telemetry.dtc', 'telemetry.events']);
    const vehicleId = `veh_${Math.floor(random() * 40)}`;
    const seq = malformedSeqBase + i;
    const wellFormed = topicId === 'telemetry.gps' ? encoders.gps.encode(gps(vehicleId, seq))
      : topicId === 'telemetry.dtc' ? encoders.dtc.encode(dtc(vehicleId, seq)) : encoders.events.encode(event(vehicleId, seq));
    const variant = random();
    let bad: { value: Buffer | null; reason: RegExp; label: string };
    if (variant < 0.1) {
      const bytes = randomBytes(Math.floor(random() * 64));
      if (bytes.length > 0) bytes[0] = 1 + Math.floor(random() * 255);
      bad = bytes.length < 5
        ? { value: bytes, reason: /shorter than the Confluent header/, label: 'short bytes' }
        : { value: bytes, reason: /magic byte \d+, expected 0/, label: 'bytes with a wrong magic byte' };
    } else if (variant < 0.13) {
      bad = { value: null, reason: /null value \(tombstone\)/, label: 'tombstone' };
    } else if (variant < 0.25) {
      const bytes = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), randomBytes(Math.floor(random() * 40))]);
      bytes.writeInt32BE(1_900_000_000 + Math.floor(random() * 100_000_000), 1);
      bad = { value: bytes, reason: /schema id \d+ is not in the registry/, label: 'unknown schema id' };
    } else if (variant < 0.35) {
      const cut = 5 + Math.floor(random() * (wellFormed.length - 6));
      bad = { value: Buffer.from(wellFormed.subarray(0, cut)), reason: /Avro body does not decode with schema \d+/, label: 'truncated body' };
    } else if (variant < 0.42) {
      bad = { value: Buffer.concat([wellFormed, randomBytes(1 + Math.floor(random() * 8))]), reason: /Avro body does not decode with schema \d+/, label: 'trailing bytes' };
    } else if (variant < 0.47 && topicId !== 'telemetry.events') {
      // Framed with the schema id of another record type (events' schema on a gps/dtc topic).
      const other = Buffer.from(encoders.events.encode(event(vehicleId, seq)));
      bad = { value: other, reason: /writer schema \d+ cannot be read as a (gps|dtc) record/, label: 'schema of another topic' };
    } else if (topicId === 'telemetry.gps') {
      const m = pick(gpsMutations(nowMs));
      bad = { value: encoders.gps.encode({ ...gps(vehicleId, seq), ...(m.patch as Partial<GpsPoint>) }), reason: m.reason, label: `gps ${m.label}` };
    } else if (topicId === 'telemetry.dtc') {
      const m = pick(dtcMutations);
      bad = { value: encoders.dtc.encode({ ...dtc(vehicleId, seq), ...(m.patch as Partial<Dtc>) }), reason: m.reason, label: `dtc ${m.label}` };
    } else {
      const m = pick(eventMutations);
      bad = { value: encoders.events.encode({ ...event(vehicleId, seq), ...(m.patch as Partial<VehicleEvent>) }), reason: m.reason, label: `event ${m.label}` };
    }
    out.push({ kind: 'malformed', topicId, key: vehicleId, ...bad });
    out.push(valid(topicId, vehicleId));
  }
  return out;
}
