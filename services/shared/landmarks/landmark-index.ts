import RBush from 'rbush';
import { shapeBounds, shapeContains } from './landmark-geometry.js';
import type { Bounds } from './landmark-geometry.js';
import type { Landmark, LandmarkHit, LandmarkLookup } from './landmark-types.js';

interface Entry extends Bounds {
  readonly landmark: Landmark;
}

const noHits: readonly LandmarkHit[] = [];

/**
 * Every account's landmarks in an R-tree per account (rbush): a lookup tests exactly the
 * shapes whose box holds the position. Updated in place as landmarks change.
 */
export class LandmarkIndex {
  private readonly trees = new Map<string, RBush<Entry>>();
  private readonly entries = new Map<string, Entry>();

  upsert(landmark: Landmark): void {
    this.remove(landmark.id);
    const entry: Entry = { ...shapeBounds(landmark.shape), landmark };
    let tree = this.trees.get(landmark.accountId);
    if (tree === undefined) {
      tree = new RBush<Entry>();
      this.trees.set(landmark.accountId, tree);
    }
    tree.insert(entry);
    this.entries.set(landmark.id, entry);
  }

  remove(landmarkId: string): void {
    const entry = this.entries.get(landmarkId);
    if (entry === undefined) return;
    this.entries.delete(landmarkId);
    const tree = this.trees.get(entry.landmark.accountId);
    tree?.remove(entry);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The landmarks of one account, as the event rules ask for them. */
  lookup(accountId: string): LandmarkLookup {
    return {
      containing: (lat, lon) => {
        const tree = this.trees.get(accountId);
        if (tree === undefined) return noHits;
        const hits: LandmarkHit[] = [];
        for (const e of tree.search({ minX: lon, minY: lat, maxX: lon, maxY: lat })) {
          if (shapeContains(e.landmark.shape, lat, lon)) hits.push({ id: e.landmark.id, name: e.landmark.name });
        }
        return hits;
      },
      exists: (landmarkId) => this.entries.get(landmarkId)?.landmark.accountId === accountId,
    };
  }
}
