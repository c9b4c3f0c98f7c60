import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readRequestBody } from '../shared/http/read-request-body.js';
import { challengeResponse, verifySignature } from '../shared/webhook-signature.js';
import type { SignatureCheck } from '../shared/webhook-signature.js';
import { describeDelivery } from './describe-delivery.js';
import type { DeliverySummary } from './describe-delivery.js';

export interface ReceivedDelivery extends DeliverySummary {
  readonly webhookId: string | null;
  readonly signature: SignatureCheck;
  readonly status: number;
}

const bodyLimitBytes = 5 * 1_048_576;

/**
 * How an endpoint owner receives fleethook webhooks: verify the Standard Webhooks
 * signature (reject with 401 if it does not match), answer verification challenges with
 * `{"challengeResponse": "<hex HMAC-SHA256(challenge)>"}`, acknowledge everything else
 * with 204 quickly, and only then process it.
 */
export class SampleReceiver {
  private readonly server: Server;

  constructor(
    private readonly secrets: readonly string[],
    private readonly onDelivery: (d: ReceivedDelivery) => void,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    const read = await readRequestBody(req, bodyLimitBytes);
    if (read.kind !== 'ok') return void res.writeHead(413).end();
    const body = read.bytes.toString('utf8');
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const signature = this.secrets.length === 0
      ? ({ kind: 'invalid', reason: 'no_matching_signature' } as const)
      : verifySignature(this.secrets, { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') }, body);
    const summary = describeDelivery(body, header('content-type') ?? '');
    let status = 204;
    if (signature.kind === 'invalid') {
      status = 401;
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `signature ${signature.reason}` }));
    } else if (summary.challenge !== null) {
      status = 200;
      // Answer with the secret that signed the challenge: one receiver may serve several subscriptions.
      const answer = challengeResponse(signature.secret, summary.challenge);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challengeResponse: answer }));
    } else {
      res.writeHead(204).end();
    }
    this.onDelivery({ ...summary, webhookId: header('webhook-id') ?? null, signature, status });
  }
}

export function formatDelivery(d: ReceivedDelivery): string {
  const sig = d.signature.kind === 'valid' ? 'signature ok' : `signature BAD (${d.signature.reason})`;
  if (d.challenge !== null) return `verify challenge  ${sig}  → ${d.status === 200 ? 'answered' : 'refused'}`;
  const items = d.itemCount === null ? '?' : String(d.itemCount);
  const events = d.events.length === 0 ? '' : `  events=${d.events.join(',')}`;
  return `${d.webhookId ?? '(no webhook-id)'}  type=${d.type ?? '?'}  mode=${d.mode ?? '?'}  items=${items}${events}  ${sig}  → ${d.status}`;
}
