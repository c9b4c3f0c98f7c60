/**
 * How long to wait before attempt `attempt + 1` of the same request (pure): the quick
 * delays (3 quick retries by default; after them the subscription is parked), beyond them a
 * doubling delay capped at `maxDelayMs` for callers that allow more attempts. A
 * `Retry-After` from the endpoint is honoured when it asks for longer.
 */
export function retryDelayMs(
  attempt: number,
  policy: { readonly quickDelaysMs: readonly number[]; readonly maxDelayMs: number },
  retryAfterMs?: number,
): number {
  const quick = policy.quickDelaysMs[attempt];
  const lastQuick = policy.quickDelaysMs[policy.quickDelaysMs.length - 1] ?? 1_000;
  const base = quick ?? Math.min(policy.maxDelayMs, Math.max(lastQuick, 1) * 2 ** (attempt - policy.quickDelaysMs.length + 1));
  return Math.min(Math.max(base, retryAfterMs ?? 0), Math.max(policy.maxDelayMs, retryAfterMs ?? 0));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
