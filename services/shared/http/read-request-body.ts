import type { IncomingMessage } from 'node:http';

export type BodyRead =
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'too_large'; readonly limitBytes: number }
  | { readonly kind: 'aborted' };

/**
 * Reads a request body up to `limitBytes`. A declared Content-Length over the limit is
 * refused before reading anything; a body that grows past it stops being buffered.
 */
export async function readRequestBody(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return { kind: 'too_large', limitBytes };
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > limitBytes) return { kind: 'too_large', limitBytes };
      chunks.push(buf);
    }
  } catch {
    return { kind: 'aborted' };
  }
  return { kind: 'ok', bytes: Buffer.concat(chunks) };
}
