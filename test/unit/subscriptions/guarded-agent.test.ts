import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressAllowList } from '../../../services/shared/ssrf/address-allow-list.js';
import { createGuardedAgent } from '../../../services/shared/ssrf/guarded-agent.js';
import { SsrfGuard } from '../../../services/shared/ssrf/ssrf-guard.js';
import type { Resolver } from '../../../services/shared/ssrf/ssrf-guard.js';

let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('reached'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

async function outcome(guard: SsrfGuard, url: string): Promise<string> {
  const agent = createGuardedAgent(guard, { connectTimeoutMs: 2_000 });
  try {
    const res = await request(url, { dispatcher: agent });
    return await res.body.text();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await agent.close();
  }
}

/** A name that resolves to a public address the first time and to loopback afterwards. */
function rebinding(): Resolver {
  let calls = 0;
  return (_host, _opts, cb) => {
    calls++;
    cb(null, [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
  };
}

describe('guarded undici agent', () => {
  it('refuses loopback at connect time, for IP literals and for names', async () => {
    const guard = new SsrfGuard();
    expect(await outcome(guard, `http://127.0.0.1:${port}/`)).toBe('SSRF_BLOCKED');
    expect(await outcome(guard, `http://localhost:${port}/`)).toBe('SSRF_BLOCKED');
  });

  it('connects when the operator allow-lists the address', async () => {
    const guard = new SsrfGuard(AddressAllowList.parse(['127.0.0.0/8']).allowList);
    expect(await outcome(guard, `http://127.0.0.1:${port}/`)).toBe('reached');
  });

  it('catches DNS rebinding: allowed at registration, refused when connecting', async () => {
    const guard = new SsrfGuard(undefined, rebinding());
    expect((await guard.checkHost('rebind.test')).kind).toBe('allowed');
    expect(await outcome(guard, `http://rebind.test:${port}/`)).toBe('SSRF_BLOCKED');
  });
});
