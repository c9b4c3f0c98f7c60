import { describe, expect, it } from 'vitest';
import { foreignLandmarkIssues } from '../../../services/admin-api/check-landmark-ids.js';

const owners = new Map([['lm_a1', 'acc_a'], ['lm_a2', 'acc_a'], ['lm_b1', 'acc_b']]);
const ownerOf = (id: string): string | undefined => owners.get(id);

describe('landmark ids of a subscription against its account', () => {
  it('accepts its own landmarks, no ids (all of them), and sources without landmark events', () => {
    expect(foreignLandmarkIssues({ kind: 'event', eventTypes: [{ type: 'landmark_enter', landmarkIds: ['lm_a1', 'lm_a2'] }, { type: 'landmark_change' }] }, 'acc_a', ownerOf)).toEqual([]);
    expect(foreignLandmarkIssues({ kind: 'gps' }, 'acc_a', ownerOf)).toEqual([]);
    expect(foreignLandmarkIssues({ kind: 'event', eventTypes: [{ type: 'idle', minutes: 5 }] }, 'acc_a', ownerOf)).toEqual([]);
  });

  it('names each unknown or foreign id at its path, with the same message for both', () => {
    const issues = foreignLandmarkIssues({ kind: 'event', eventTypes: [{ type: 'idle' }, { type: 'landmark_leave', landmarkIds: ['lm_a1', 'lm_b1', 'lm_zz'] }] }, 'acc_a', ownerOf);
    expect(issues.map((i) => i.field)).toEqual(['source.eventTypes[1].landmarkIds[1]', 'source.eventTypes[1].landmarkIds[2]']);
    expect(issues[0]?.message).toBe('"lm_b1" is not a landmark of account acc_a (create it with POST /v1/landmarks first)');
    expect(issues[1]?.message).toBe('"lm_zz" is not a landmark of account acc_a (create it with POST /v1/landmarks first)');
  });
});
