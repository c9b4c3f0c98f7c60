import type { Landmark, LandmarkShape } from '../shared/landmarks/landmark-types.js';

export interface LandmarkView {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly shape: LandmarkShape;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revision: number;
}

/** What the API returns for a landmark: every field, in a fixed order. */
export function toLandmarkView(l: Landmark): LandmarkView {
  return { id: l.id, accountId: l.accountId, name: l.name, shape: l.shape, createdAt: l.createdAt, updatedAt: l.updatedAt, revision: l.revision };
}
