import { moveBy } from './geo-math.js';
import type { LatLon } from './geo-math.js';
import { SeededRandom } from './seeded-random.js';
import { VehicleSimulator } from './vehicle-simulator.js';
import type { TickRecords, VehicleProfile } from './vehicle-simulator.js';

export interface FleetOptions {
  readonly seed: number;
  readonly vehicles: number;
  readonly accounts: number;
  /** Simulated time of the first tick, epoch ms. */
  readonly startTimeMs: number;
  /** Simulated time between two GPS points of one vehicle. */
  readonly stepMs: number;
  /** Whether devices send ignition_on/off events themselves (default true); false where the deriver derives them. */
  readonly deviceIgnitionEvents?: boolean;
  /** Trouble codes each vehicle raises per simulated hour (default 0.3). */
  readonly dtcPerHour?: number;
}

/** Where accounts' fleets are based; account k drives around city k mod the list. */
const cities: readonly (LatLon & { name: string })[] = [
  { name: 'Berlin', lat: 52.52, lon: 13.405 },
  { name: 'Chicago', lat: 41.878, lon: -87.63 },
  { name: 'São Paulo', lat: -23.55, lon: -46.633 },
  { name: 'Lyon', lat: 45.764, lon: 4.836 },
  { name: 'Dallas', lat: 32.777, lon: -96.797 },
  { name: 'Melbourne', lat: -37.814, lon: 144.963 },
  { name: 'Toronto', lat: 43.653, lon: -79.383 },
  { name: 'Madrid', lat: 40.417, lon: -3.704 },
];

/**
 * The whole simulated fleet, pure and deterministic: the same options give the same
 * records. Each vehicle has its own random stream derived from (seed, index), so a
 * vehicle behaves the same whatever the fleet size. Ticks are simulated time only; the
 * publishing loop decides how they map to wall-clock time.
 */
export class FleetModel {
  private readonly vehicles: VehicleSimulator[];
  private readonly offsetsMs: number[];
  private ticks = 0;

  constructor(private readonly options: FleetOptions) {
    this.vehicles = [];
    this.offsetsMs = [];
    for (let i = 0; i < options.vehicles; i++) {
      const rng = SeededRandom.derive(options.seed, i);
      this.vehicles.push(new VehicleSimulator(profileOf(i, options, rng), rng, options.startTimeMs, { ignitionEvents: options.deviceIgnitionEvents ?? true, dtcPerHour: options.dtcPerHour ?? 0.3 }));
      // Devices do not report in lockstep: each keeps a fixed offset within the step.
      this.offsetsMs.push(Math.floor(rng.next() * options.stepMs));
    }
  }

  get tickCount(): number {
    return this.ticks;
  }

  /** Advances every vehicle by one step and returns what they reported. */
  tick(): TickRecords {
    const out: TickRecords = { gps: [], dtc: [], events: [] };
    const baseMs = this.options.startTimeMs + this.ticks * this.options.stepMs;
    for (let i = 0; i < this.vehicles.length; i++) {
      this.vehicles[i]!.step(baseMs + this.offsetsMs[i]!, this.options.stepMs, out);
    }
    this.ticks++;
    return out;
  }
}

function profileOf(index: number, options: FleetOptions, rng: SeededRandom): VehicleProfile {
  const accountIndex = index % options.accounts;
  const city = cities[accountIndex % cities.length]!;
  const heavyDuty = rng.chance(0.35);
  const accountId = `acc_${pad(accountIndex + 1, 4)}`;
  return {
    vehicleId: `veh_${pad(index + 1, 6)}`,
    accountId,
    home: moveBy(city, rng.between(0, 360), rng.between(0, 12)),
    heavyDuty,
    reeferSetpointCelsius: heavyDuty && rng.chance(0.4) ? rng.pick([-18, -20, 2, 4]) : null,
    aggressiveness: rng.next() ** 2,
    drivers: [0, 1, 2].map((d) => `drv_${pad(accountIndex + 1, 4)}_${pad(((index * 3 + d) % 997) + 1, 3)}`),
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
