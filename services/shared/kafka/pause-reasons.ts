/** Why a partition is held: back-pressure, a head not due yet, a replay or scan in progress, a failing side effect… */
export type PauseReason = string;

/** A change the client must make: the partitions whose first reason came (pause) or whose last reason went (resume). */
export interface PauseChange {
  readonly topic: string;
  readonly pause: readonly number[];
  readonly resume: readonly number[];
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Which partitions are paused and why (pure). A partition stays paused while any reason
 * holds: pausing for a second reason changes nothing, and lifting one reason resumes only
 * when it was the last. The client keeps pauses across rebalances, so a new generation
 * starts with `clear()`: every partition it touches is resumed, and the new generation
 * pauses again for its own reasons.
 */
export class PauseReasons {
  private readonly held = new Map<string, { readonly topic: string; readonly partition: number; readonly reasons: Set<PauseReason> }>();

  /** Adds `reason`; returns the partitions that were not paused before. */
  pause(topic: string, partitions: readonly number[], reason: PauseReason): PauseChange {
    const pause: number[] = [];
    for (const partition of partitions) {
      const k = key(topic, partition);
      let entry = this.held.get(k);
      if (entry === undefined) this.held.set(k, (entry = { topic, partition, reasons: new Set() }));
      if (entry.reasons.size === 0) pause.push(partition);
      entry.reasons.add(reason);
    }
    return { topic, pause, resume: [] };
  }

  /** Lifts `reason`; returns the partitions that no reason holds any more. */
  resume(topic: string, partitions: readonly number[], reason: PauseReason): PauseChange {
    const resume: number[] = [];
    for (const partition of partitions) {
      const k = key(topic, partition);
      const entry = this.held.get(k);
      if (entry === undefined || !entry.reasons.delete(reason)) continue;
      if (entry.reasons.size === 0) {
        this.held.delete(k);
        resume.push(partition);
      }
    }
    return { topic, pause: [], resume };
  }

  isPaused(topic: string, partition: number): boolean {
    return this.held.has(key(topic, partition));
  }

  has(topic: string, partition: number, reason: PauseReason): boolean {
    return this.held.get(key(topic, partition))?.reasons.has(reason) ?? false;
  }

  /** How many partitions `reason` holds (for metrics). */
  count(reason?: PauseReason): number {
    let n = 0;
    for (const e of this.held.values()) if (reason === undefined || e.reasons.has(reason)) n++;
    return n;
  }

  /** Forgets every reason; returns what was paused, per topic (a new generation resumes it). */
  clear(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const e of this.held.values()) {
      let list = out.get(e.topic);
      if (list === undefined) out.set(e.topic, (list = []));
      list.push(e.partition);
    }
    this.held.clear();
    return out;
  }
}
