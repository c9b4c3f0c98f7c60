/** An open speeding episode; `belowSinceMs` is when the speed last dropped below the threshold. */
export interface SpeedEpisode {
  readonly belowSinceMs: number | null;
}

export type EpisodeStep =
  | { readonly kind: 'started'; readonly episode: SpeedEpisode }
  | { readonly kind: 'continues'; readonly episode: SpeedEpisode }
  | { readonly kind: 'ended' }
  | { readonly kind: 'none' };

/**
 * One point against one threshold. An episode starts at the first point at or over the
 * threshold and ends at the first point under it that comes `clearMs` or more after the
 * point where the speed dropped; a point over it in between keeps the same episode.
 */
export function stepEpisode(open: SpeedEpisode | undefined, over: boolean, timeMs: number, clearMs: number): EpisodeStep {
  if (over) return open === undefined ? { kind: 'started', episode: { belowSinceMs: null } } : { kind: 'continues', episode: { belowSinceMs: null } };
  if (open === undefined) return { kind: 'none' };
  const belowSinceMs = open.belowSinceMs ?? timeMs;
  return timeMs - belowSinceMs >= clearMs ? { kind: 'ended' } : { kind: 'continues', episode: { belowSinceMs } };
}
