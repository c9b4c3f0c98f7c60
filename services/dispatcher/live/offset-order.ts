/**
 * Order of two Kafka offsets written as decimal text (non-negative, as kafkajs and our
 * marks write them): negative, zero or positive like `a - b`. Exact for every int64
 * offset, without a BigInt per comparison (the dedupe checks run once per item).
 * Leading zeros are allowed.
 */
export function compareOffsets(a: string, b: string): number {
  if (a.length === b.length) return a < b ? -1 : a > b ? 1 : 0;
  if ((a.length > 1 && a.charCodeAt(0) === 0x30) || (b.length > 1 && b.charCodeAt(0) === 0x30)) return compareOffsets(trimZeros(a), trimZeros(b));
  return a.length - b.length;
}

function trimZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 0x30) i++;
  return s.slice(i);
}
