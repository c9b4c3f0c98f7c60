/**
 * Why a produce request failed, for a caller that must decide between "this record can
 * never be written" (skip or dead-letter it) and "the cluster is not well" (retry the
 * batch; never skip anything for it). Only the broker's verdicts on the records
 * themselves are `record`: too large, a timestamp outside the topic's window, a record
 * the broker refuses as invalid. kafkajs wraps them (KafkaJSNonRetriableError with the
 * protocol error as `cause`), so the whole chain is inspected.
 */
export type ProduceFailure = { readonly kind: 'record'; readonly type: string } | { readonly kind: 'cluster' };

const recordErrorTypes: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_TIMESTAMP', 'INVALID_RECORD']);

export function classifyProduceError(err: unknown): ProduceFailure {
  const pending: unknown[] = [err];
  for (let seen = 0; pending.length > 0 && seen < 20; seen++) {
    const e = pending.shift();
    if (typeof e !== 'object' || e === null) continue;
    const { type, cause, originalError, errors } = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof type === 'string' && recordErrorTypes.has(type)) return { kind: 'record', type };
    pending.push(cause, originalError);
    if (Array.isArray(errors)) pending.push(...(errors as unknown[]));
  }
  return { kind: 'cluster' };
}
