import { request } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsServer } from '../../../../services/shared/runtime/ops-server.js';
import type { OpsHealth } from '../../../../services/shared/runtime/ops-server.js';

/** One raw HTTP exchange, so methods and targets fetch would refuse or normalise can be sent. */
function call(port: number, method: string, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('OpsServer answers /metrics, /healthz and /readyz over real HTTP', () => {
  const registry = new Registry();
  const counter = new Counter({ name: 'fleethook_test_things_total', help: 'Things', labelNames: ['outcome'], registers: [registry] });
  let health: () => OpsHealth = () => ({ healthy: true, ready: false, detail: { catalogueReady: false } });
  let ops: OpsServer;

  beforeAll(async () => {
    ops = await OpsServer.start({ registry, health: () => health(), host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => ops.close());

  it('listens on the port it was given (0: a free one) and says which', () => {
    expect(ops.port).toBeGreaterThan(0);
  });

  it('/metrics is the registry in Prometheus text, with its content type', async () => {
    counter.inc({ outcome: 'ok' }, 3);
    const res = await call(ops.port, 'GET', '/metrics?x=1');
    expect(res.status).toBe(200);
    expect(res.type).toBe(registry.contentType);
    expect(res.body).toContain('fleethook_test_things_total{outcome="ok"} 3');
  });

  it('/healthz and /readyz follow the service\'s health, 200 or 503, with its detail', async () => {
    health = () => ({ healthy: true, ready: false, detail: { catalogueReady: false } });
    expect(await call(ops.port, 'GET', '/healthz')).toMatchObject({ status: 200, type: 'application/json', body: '{"status":"ok","catalogueReady":false}' });
    expect(await call(ops.port, 'GET', '/readyz')).toMatchObject({ status: 503, body: '{"status":"not_ready","catalogueReady":false}' });
    health = () => ({ healthy: false, ready: true });
    expect(await call(ops.port, 'GET', '/healthz')).toMatchObject({ status: 503, body: '{"status":"unhealthy"}' });
    expect(await call(ops.port, 'GET', '/readyz')).toMatchObject({ status: 200, body: '{"status":"ready"}' });
  });

  it('a health check that throws reads as unhealthy and not ready, and the server keeps answering', async () => {
    health = () => {
      throw new Error('boom');
    };
    expect(await call(ops.port, 'GET', '/healthz')).toMatchObject({ status: 503, body: '{"status":"unhealthy"}' });
    expect(await call(ops.port, 'GET', '/readyz')).toMatchObject({ status: 503, body: '{"status":"not_ready"}' });
    health = () => ({ healthy: true, ready: true });
    expect((await call(ops.port, 'GET', '/readyz')).status).toBe(200);
  });

  it.each([
    ['an unknown path', 'GET', '/admin', 404, 'not_found'],
    ['a path that only starts like one', 'GET', '/metricsx', 404, 'not_found'],
    ['a write method', 'POST', '/metrics', 405, 'method_not_allowed'],
    ['DELETE on a health path', 'DELETE', '/readyz', 405, 'method_not_allowed'],
  ])('refuses %s as JSON', async (_what, method, path, status, code) => {
    const res = await call(ops.port, method, path);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toEqual({ code });
  });

  it('close is idempotent and stops listening; a port in use fails the start', async () => {
    const other = await OpsServer.start({ registry, health: () => health(), host: '127.0.0.1', port: 0 });
    await expect(OpsServer.start({ registry, health: () => health(), host: '127.0.0.1', port: other.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await Promise.all([other.close(), other.close()]);
    await expect(call(other.port, 'GET', '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
