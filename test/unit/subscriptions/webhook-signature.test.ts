import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import {
  challengeResponse, generateSigningSecret, signatureHeader, signPayload, verifySignature,
} from '../../../services/shared/webhook-signature.js';
import { createHmac } from 'node:crypto';

const body = JSON.stringify({ type: 'gps', data: [{ vehicleId: 'v1', lat: 1.5 }] });

describe('webhook signature (Standard Webhooks)', () => {
  it('generates whsec_ secrets with 32 random bytes', () => {
    const s = generateSigningSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(s);
  });

  it('produces exactly the signature the standardwebhooks package produces', () => {
    const secret = generateSigningSecret();
    const ts = 1_700_000_000;
    expect(signPayload(secret, 'msg_1', ts, body)).toBe(new Webhook(secret).sign('msg_1', new Date(ts * 1000), body));
  });

  it('is accepted by the standardwebhooks verifier, also when signed with two secrets', () => {
    const oldSecret = generateSigningSecret();
    const newSecret = generateSigningSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader([newSecret, oldSecret], 'msg_2', ts, body) };
    expect(new Webhook(newSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
  });

  it('verifies what the standardwebhooks package signs, and rejects tampering', () => {
    const secret = generateSigningSecret();
    const ts = Math.floor(Date.now() / 1000);
    const sig = new Webhook(secret).sign('msg_3', new Date(ts * 1000), body);
    const headers = { id: 'msg_3', timestamp: String(ts), signature: sig };
    expect(verifySignature([secret], headers, body)).toEqual({ kind: 'valid', secret });
    // With several candidate secrets, the one that matched is named.
    const other = generateSigningSecret();
    expect(verifySignature([other, secret], headers, body)).toEqual({ kind: 'valid', secret });
    expect(verifySignature([secret], headers, body + ' ')).toEqual({ kind: 'invalid', reason: 'no_matching_signature' });
    expect(verifySignature([secret], { ...headers, id: 'msg_4' }, body)).toEqual({ kind: 'invalid', reason: 'no_matching_signature' });
    expect(verifySignature([secret], { ...headers, signature: undefined }, body)).toEqual({ kind: 'invalid', reason: 'missing_headers' });
    expect(verifySignature([secret], { ...headers, timestamp: 'x' }, body)).toEqual({ kind: 'invalid', reason: 'bad_timestamp' });
    expect(verifySignature([secret], headers, body, { nowSeconds: ts + 301 })).toEqual({ kind: 'invalid', reason: 'timestamp_out_of_tolerance' });
  });

  it('answers challenges with hex HMAC-SHA256 keyed with the secret key bytes', () => {
    const secret = generateSigningSecret();
    const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update('abc').digest('hex');
    expect(challengeResponse(secret, 'abc')).toBe(expected);
    expect(challengeResponse(secret, 'abc')).toMatch(/^[0-9a-f]{64}$/);
  });
});
