import { timingSafeEqual } from 'node:crypto';
import { urlWithoutCredentials } from '../shared/failures/url-without-credentials.js';
import type { EndpointOutcome } from './post-to-endpoint.js';
import { readChallengeAnswer } from './challenge-answer.js';

export type VerificationResult =
  | { readonly kind: 'verified'; readonly statusCode: number; readonly latencyMs: number }
  | {
      readonly kind: 'failed';
      readonly reason: 'timeout' | 'connection_refused' | 'blocked' | 'network_error' | 'redirect' | 'status' | 'wrong_value';
      readonly message: string;
      readonly statusCode: number | null;
      readonly latencyMs: number;
    };

/** Total over every outcome; `expectedHex` lists the answers accepted (one per live secret). */
export function classifyVerification(outcome: EndpointOutcome, expectedHex: readonly string[]): VerificationResult {
  const fail = (reason: Extract<VerificationResult, { kind: 'failed' }>['reason'], message: string, statusCode: number | null = null): VerificationResult =>
    ({ kind: 'failed', reason, message, statusCode, latencyMs: outcome.latencyMs });
  switch (outcome.kind) {
    case 'timeout':
      return fail('timeout', 'the endpoint did not answer in time');
    case 'connection_refused':
      return fail('connection_refused', 'the endpoint refused the connection');
    case 'blocked':
      return fail('blocked', outcome.message);
    case 'network_error':
      return fail('network_error', `network error ${outcome.code}`);
    case 'response': {
      const { status } = outcome;
      if (status >= 300 && status < 400) {
        // The Location is the endpoint's to choose: shown without credentials, as the message also goes into alert e-mails.
        const to = outcome.location === null ? '(no location)' : urlWithoutCredentials(outcome.location);
        return fail('redirect', `the endpoint answered ${status} redirecting to ${to}; redirects are not followed`, status);
      }
      if (status < 200 || status >= 300) return fail('status', `the endpoint answered status ${status}; expected 2xx`, status);
      const answer = readChallengeAnswer(outcome.body, outcome.truncated);
      if (answer.kind === 'malformed') return fail('wrong_value', `the 2xx response holds no well-formed challenge answer: ${answer.message}`, status);
      const { hex } = answer;
      const ok = expectedHex.some((e) => e.length === hex.length && timingSafeEqual(Buffer.from(e), Buffer.from(hex)));
      if (!ok) return fail('wrong_value', 'the challenge answer does not match HMAC-SHA256(challenge, secret)', status);
      return { kind: 'verified', statusCode: status, latencyMs: outcome.latencyMs };
    }
  }
}
