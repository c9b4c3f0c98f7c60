import type { LandmarkHit, LandmarkLookup } from './derive-params.js';

export interface LandmarkTransitions {
  readonly inside: readonly LandmarkHit[];
  readonly entered: readonly LandmarkHit[];
  readonly left: readonly LandmarkHit[];
}

const nothing: LandmarkTransitions = { inside: [], entered: [], left: [] };

/**
 * The landmarks a vehicle entered and left between its previous point and this one. A
 * landmark deleted while the vehicle was inside is dropped without a leave: the vehicle
 * did not move out of it. `inside` and both lists are sorted by id, so events come in a
 * stable order.
 */
export function landmarkTransitions(before: readonly LandmarkHit[], lat: number, lon: number, lookup: LandmarkLookup): LandmarkTransitions {
  const hits = lookup.containing(lat, lon);
  // Most points are in no landmark and were in none.
  if (hits.length === 0 && before.length === 0) return nothing;
  const inside = [...hits].sort(byId);
  const now = new Set(inside.map((l) => l.id));
  const was = new Set(before.map((l) => l.id));
  return {
    inside,
    entered: inside.filter((l) => !was.has(l.id)),
    left: before.filter((l) => !now.has(l.id) && lookup.exists(l.id)),
  };
}

function byId(a: LandmarkHit, b: LandmarkHit): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
