import type { Dtc, GpsPoint, VehicleEvent } from '../../schemas/telemetry-records.js';
import type { SeededRandom } from './seeded-random.js';

/** One record as the run published it: what the checks compare deliveries with. */
export interface PublishedRecord {
  readonly kind: 'gps' | 'dtc' | 'event';
  readonly vehicleId: string;
  readonly seq: number;
  readonly eventType: VehicleEvent['type'] | null;
  readonly speedKmh: number | null;
  readonly recordTimeMs: number;
  readonly publishedAtMs: number;
}

export interface TelemetryBatch { gps: GpsPoint[]; dtc: Dtc[]; events: VehicleEvent[] }

const eventKinds = ['ignition_on', 'ignition_off', 'heartbeat', 'speeding'] as const;

/**
 * The simulated fleet: every tick a GPS point per vehicle (× the burst multiplier), a DTC
 * for about a tenth of the vehicles and an event for about a quarter, contents drawn from
 * the seed. Every publish goes through the producer library (acks=all); what it
 * acknowledged is `published`, what failed is `uncertain` (the broker may hold it or not).
 */
export class ChaosFleet {
  readonly published: PublishedRecord[] = [];
  readonly uncertain: PublishedRecord[] = [];
  readonly publishErrors: string[] = [];
  private readonly seqs = new Map<string, number>();

  constructor(
    private readonly rnd: SeededRandom,
    readonly accountId: string,
    readonly vehicles: readonly string[],
    private readonly publish: (batch: TelemetryBatch) => Promise<void>,
  ) {}

  async tick(multiplier: number): Promise<void> {
    const time = Date.now();
    const batch: TelemetryBatch = { gps: [], dtc: [], events: [] };
    const records: PublishedRecord[] = [];
    const record = (kind: PublishedRecord['kind'], vehicleId: string, eventType: PublishedRecord['eventType'] = null, speedKmh: number | null = null): number => {
      const key = `${kind}/${vehicleId}`;
      const seq = (this.seqs.get(key) ?? 0) + 1;
      this.seqs.set(key, seq);
      records.push({ kind, vehicleId, seq, eventType, speedKmh, recordTimeMs: time, publishedAtMs: 0 });
      return seq;
    };
    for (const [v, vehicleId] of this.vehicles.entries()) {
      for (let m = 0; m < multiplier; m++) {
        const seq = record('gps', vehicleId);
        batch.gps.push({ vehicleId, accountId: this.accountId, time, lat: 52.5 + v / 1_000, lon: 13.4 + seq / 100_000, speedKmh: this.rnd.int(0, 130), headingDeg: this.rnd.int(0, 359), odometerKm: 1_000 + seq / 10, ignition: true, seq });
      }
      if (this.rnd.chance(0.1 * multiplier)) {
        const seq = record('dtc', vehicleId);
        batch.dtc.push({ vehicleId, accountId: this.accountId, time, code: `P0${this.rnd.int(100, 999)}`, source: 'OBD_II', status: this.rnd.pick(['active', 'pending', 'cleared'] as const), seq });
      }
      if (this.rnd.chance(0.25 * multiplier)) {
        const type = this.rnd.pick(eventKinds);
        const speedKmh = type === 'speeding' ? this.rnd.int(80, 140) : null;
        const seq = record('event', vehicleId, type, speedKmh);
        batch.events.push({ vehicleId, accountId: this.accountId, time, type, speedKmh, speedLimitKmh: speedKmh === null ? null : 80, seq });
      }
    }
    try {
      await this.publish(batch);
      const at = Date.now();
      for (const r of records) this.published.push({ ...r, publishedAtMs: at });
    } catch (err) {
      const at = Date.now();
      for (const r of records) this.uncertain.push({ ...r, publishedAtMs: at });
      this.publishErrors.push(`${new Date(at).toISOString()} ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
