import type { AdminClient } from './admin-client.js';

/**
 * Landmarks the demo seeds in its account (acc_0001, whose simulated vehicles are based
 * within ~17 km of Berlin's centre). Shapes with long edges, so that vehicles cross them
 * within a one-minute demo: a circle of 8 km around the centre, and a 300 m wide corridor
 * running 40 km east–west through it (entered and left within seconds). A vehicle's first
 * point inside a landmark counts as an entry.
 */
export const demoLandmarkSpecs = [
  { name: 'Demo: Berlin inner ring', shape: { type: 'circle', center: { lat: 52.52, lon: 13.405 }, radiusM: 8_000 } },
  {
    name: 'Demo: east-west corridor',
    shape: { type: 'polygon', coordinates: [[[13.1, 52.5155], [13.7, 52.5155], [13.7, 52.5182], [13.1, 52.5182], [13.1, 52.5155]]] },
  },
] as const;

/** Names of the demo's landmarks start with this; others of the account are left alone. */
const demoPrefix = 'Demo: ';

/**
 * Creates the demo's landmarks that the account does not have yet (by name) and deletes
 * demo landmarks an older demo seeded that are no longer in the list; returns the ids.
 */
export async function seedDemoLandmarks(admin: AdminClient): Promise<{ ids: string[]; created: number }> {
  const existing = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const page = await admin.call('GET', `/v1/landmarks?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
    for (const l of (page.data ?? []) as Array<{ id: string; name: string }>) existing.set(l.name, l.id);
    cursor = typeof page.nextCursor === 'string' ? page.nextCursor : null;
  } while (cursor !== null);
  for (const [name, id] of existing) {
    if (name.startsWith(demoPrefix) && !demoLandmarkSpecs.some((spec) => spec.name === name)) await admin.call('DELETE', `/v1/landmarks/${id}`);
  }
  const ids: string[] = [];
  let created = 0;
  for (const spec of demoLandmarkSpecs) {
    let id = existing.get(spec.name);
    if (id === undefined) {
      const landmark = await admin.call('POST', '/v1/landmarks', spec);
      id = String(landmark.id);
      created++;
    }
    ids.push(id);
  }
  return { ids, created };
}
