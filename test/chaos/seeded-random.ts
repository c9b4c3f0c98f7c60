import { SeededRandom as SimulatorRandom } from '../../services/producer/simulator/seeded-random.js';

/**
 * The simulator's seeded PRNG (mulberry32: the same seed gives the same sequence on every
 * machine, so one seed names one chaos timeline), plus labelled forks. Not for cryptography.
 */
export class SeededRandom extends SimulatorRandom {
  private readonly seed: number;

  constructor(seed: number) {
    super(seed);
    this.seed = seed >>> 0;
  }

  /** An independent stream derived from this generator's seed and a label (e.g. the fleet's record contents). */
  fork(label: string): SeededRandom {
    let h = this.seed ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    return new SeededRandom(h);
  }
}
