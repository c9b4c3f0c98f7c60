import type { Landmark } from '../shared/landmarks/landmark-types.js';

/** A landmark as the API shows it: the stored record has nothing to hide. */
export type LandmarkView = Landmark;

/** What the API returns for a landmark: every field, in a fixed order. */
export function toLandmarkView(l: Landmark): LandmarkView {
  return { id: l.id, accountId: l.accountId, name: l.name, shape: l.shape, createdAt: l.createdAt, updatedAt: l.updatedAt, revision: l.revision };
}
