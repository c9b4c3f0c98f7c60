import type { FieldIssue } from '../shared/errors.js';
import type { SubscriptionSource } from '../shared/subscriptions/subscription-types.js';

/**
 * The `landmarkIds` of a subscription's landmark events that are not landmarks of its
 * account (pure): one issue per id, at its field path, naming the value. An unknown id
 * and another account's id get the same message, so the answer tells nothing about other
 * accounts' landmarks. `ownerOf` answers a landmark's account (undefined: no such landmark).
 */
export function foreignLandmarkIssues(source: SubscriptionSource, accountId: string, ownerOf: (landmarkId: string) => string | undefined): FieldIssue[] {
  if (source.kind !== 'event') return [];
  const issues: FieldIssue[] = [];
  source.eventTypes.forEach((selection, i) => {
    if (!('landmarkIds' in selection) || selection.landmarkIds === undefined) return;
    selection.landmarkIds.forEach((id, j) => {
      if (ownerOf(id) !== accountId) {
        issues.push({ field: `source.eventTypes[${i}].landmarkIds[${j}]`, message: `${JSON.stringify(id)} is not a landmark of account ${accountId} (create it with POST /v1/landmarks first)` });
      }
    });
  });
  return issues;
}
