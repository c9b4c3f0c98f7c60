import { request } from 'undici';
import type { Dispatcher } from 'undici';

export type EndpointOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly truncated: boolean; readonly location: string | null; readonly latencyMs: number }
  | { readonly kind: 'timeout'; readonly latencyMs: number }
  | { readonly kind: 'connection_refused'; readonly latencyMs: number }
  | { readonly kind: 'blocked'; readonly message: string; readonly latencyMs: number }
  | { readonly kind: 'network_error'; readonly code: string; readonly latencyMs: number };

const maxResponseBytes = 4_096;
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * One POST to an endpoint, never following redirects, through the SSRF-guarded agent.
 * Reads at most 4 KiB of the response. Every outcome is a value, not an exception.
 */
export async function postToEndpoint(
  dispatcher: Dispatcher,
  url: string,
  req: { headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<EndpointOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const abort = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await request(url, {
      method: 'POST', dispatcher, headers: req.headers, body: req.body,
      headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs, signal: abort,
    });
    const { body, truncated } = await readCapped(res.body);
    const location = typeof res.headers.location === 'string' ? res.headers.location : null;
    return { kind: 'response', status: res.statusCode, body, truncated, location, latencyMs: elapsed() };
  } catch (err) {
    const code = errorCode(err);
    if (abort.aborted || timeoutCodes.has(code)) return { kind: 'timeout', latencyMs: elapsed() };
    if (code === 'ECONNREFUSED') return { kind: 'connection_refused', latencyMs: elapsed() };
    if (code === 'SSRF_BLOCKED') return { kind: 'blocked', message: (err as Error).message, latencyMs: elapsed() };
    return { kind: 'network_error', code: code || 'UNKNOWN', latencyMs: elapsed() };
  }
}

/** The first 4 KiB of the body; `truncated` when there was more. */
async function readCapped(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void }): Promise<{ body: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    chunks.push(Buffer.from(chunk));
    total += chunk.length;
    if (total > maxResponseBytes) break;
  }
  return { body: Buffer.concat(chunks).subarray(0, maxResponseBytes).toString('utf8'), truncated: total > maxResponseBytes };
}

function errorCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR') return code;
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'ETIMEDOUT';
  }
  return '';
}
