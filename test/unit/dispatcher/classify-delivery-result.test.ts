import { describe, expect, it } from 'vitest';
import {
  type AttemptResult,
  type DeliveryOutcome,
  classifyDeliveryResult,
  parseRetryAfterMs,
  retryAfterBoundsMs,
} from '../../../services/dispatcher/deliver/classify-delivery-result.js';

const now = new Date('2026-11-23T12:00:00Z');

const rows: Array<[string, AttemptResult, DeliveryOutcome['kind'], RegExp?]> = [
  ['200', { kind: 'response', status: 200 }, 'delivered'],
  ['201', { kind: 'response', status: 201 }, 'delivered'],
  ['204', { kind: 'response', status: 204 }, 'delivered'],
  ['299', { kind: 'response', status: 299 }, 'delivered'],
  ['1xx', { kind: 'response', status: 102 }, 'retry', /102/],
  ['301', { kind: 'response', status: 301 }, 'retry', /redirects are not followed/],
  ['302', { kind: 'response', status: 302 }, 'retry', /redirects are not followed/],
  ['307', { kind: 'response', status: 307 }, 'retry', /redirects/],
  ['400', { kind: 'response', status: 400 }, 'retry', /400/],
  ['401', { kind: 'response', status: 401 }, 'retry', /credentials/],
  ['403', { kind: 'response', status: 403 }, 'retry', /credentials/],
  ['404', { kind: 'response', status: 404 }, 'retry', /404/],
  ['410', { kind: 'response', status: 410 }, 'gone', /410 Gone/],
  ['413', { kind: 'response', status: 413 }, 'retry', /413/],
  ['429', { kind: 'response', status: 429 }, 'retry', /429/],
  ['500', { kind: 'response', status: 500 }, 'retry', /500/],
  ['502', { kind: 'response', status: 502 }, 'retry', /502/],
  ['503', { kind: 'response', status: 503 }, 'retry', /503/],
  ['504', { kind: 'response', status: 504 }, 'retry', /504/],
  ['garbage status', { kind: 'response', status: 999 }, 'retry', /not a valid HTTP status/],
  ['refused', { kind: 'error', code: 'ECONNREFUSED' }, 'retry', /connection refused/],
  ['reset', { kind: 'error', code: 'ECONNRESET' }, 'retry', /connection reset/],
  ['connect timeout', { kind: 'error', code: 'UND_ERR_CONNECT_TIMEOUT' }, 'retry', /timed out/],
  ['headers timeout', { kind: 'error', code: 'UND_ERR_HEADERS_TIMEOUT' }, 'retry', /waiting for the response/],
  ['body timeout', { kind: 'error', code: 'UND_ERR_BODY_TIMEOUT' }, 'retry', /response body/],
  ['aborted', { kind: 'error', code: 'UND_ERR_ABORTED' }, 'retry', /timeout/],
  ['socket', { kind: 'error', code: 'UND_ERR_SOCKET' }, 'retry', /socket/],
  ['dns', { kind: 'error', code: 'ENOTFOUND' }, 'retry', /not found/],
  ['dns again', { kind: 'error', code: 'EAI_AGAIN' }, 'retry', /DNS/],
  ['unreachable', { kind: 'error', code: 'EHOSTUNREACH' }, 'retry', /unreachable/],
  ['too large', { kind: 'error', code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE' }, 'retry', /too large/],
  ['bad http', { kind: 'error', code: 'HPE_INVALID_CONSTANT' }, 'retry', /malformed/],
  ['ssrf', { kind: 'error', code: 'SSRF_BLOCKED' }, 'retry', /not allowed/],
  ['tls', { kind: 'error', code: 'CERT_HAS_EXPIRED' }, 'retry', /expired/],
  ['unknown code', { kind: 'error', code: 'E_WEIRD' }, 'retry', /E_WEIRD/],
];

describe('classifyDeliveryResult', () => {
  it.each(rows)('%s → %s', (_name, result, kind, reason) => {
    const outcome = classifyDeliveryResult(result, now);
    expect(outcome.kind).toBe(kind);
    if (reason !== undefined && outcome.kind !== 'delivered') expect(outcome.reason).toMatch(reason);
  });

  it('honours Retry-After on 429 and 503 only', () => {
    expect(classifyDeliveryResult({ kind: 'response', status: 429, retryAfter: '120' }, now)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 120_000,
    });
    expect(classifyDeliveryResult({ kind: 'response', status: 503, retryAfter: '30' }, now)).toMatchObject({
      retryAfterMs: 30_000,
    });
    expect(classifyDeliveryResult({ kind: 'response', status: 500, retryAfter: '30' }, now)).not.toHaveProperty(
      'retryAfterMs',
    );
  });
});

describe('parseRetryAfterMs', () => {
  it.each([
    ['absent', undefined, undefined],
    ['seconds', '90', 90_000],
    ['zero is clamped up', '0', retryAfterBoundsMs.min],
    ['huge is clamped down', '999999999', retryAfterBoundsMs.max],
    ['HTTP-date', 'Mon, 23 Nov 2026 12:05:00 GMT', 300_000],
    ['HTTP-date in the past', 'Mon, 23 Nov 2026 11:00:00 GMT', retryAfterBoundsMs.min],
    ['garbage', 'soon', undefined],
    ['negative', '-5', undefined],
    ['fraction', '1.5', undefined],
  ])('%s', (_name, value, expected) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });
});
