import { request } from 'undici';

/** The few admin API calls the demo makes, over real HTTP like any endpoint owner. */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await request(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode}: ${text}`);
    // 204 No Content (a delete) has no body.
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }

  /** Polls /readyz until the API has its catalogue loaded. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await request(this.baseUrl + '/readyz');
        await res.body.dump();
        if (res.statusCode === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`admin API at ${this.baseUrl} not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Polls until something answers HTTP at `url` (any status): a child process that is still starting refuses connections. */
export async function waitUntilListening(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await (await request(url)).body.dump();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing listening at ${url} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
