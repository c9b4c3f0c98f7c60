export type RequestTarget =
  | { readonly kind: 'ok'; readonly path: string; readonly query: URLSearchParams }
  | { readonly kind: 'invalid'; readonly reason: 'not_origin_form' | 'too_long' };

const origin = 'http://request.invalid';

/**
 * Reads the request target of an HTTP/1.1 request line as a path and a query (pure,
 * never throws). Only the origin form (`/path?query`) is served: `*`, the absolute form
 * and anything else a proxy-facing server would route is refused. The target is
 * appended to a fixed origin rather than resolved against it, so `//[` is the path
 * `//[`, not a scheme-relative URL with an invalid host.
 */
export function parseRequestTarget(raw: string | undefined, maxLength: number): RequestTarget {
  if (raw === undefined || !raw.startsWith('/')) return { kind: 'invalid', reason: 'not_origin_form' };
  if (raw.length > maxLength) return { kind: 'invalid', reason: 'too_long' };
  if (!URL.canParse(origin + raw)) return { kind: 'invalid', reason: 'not_origin_form' };
  const url = new URL(origin + raw);
  return { kind: 'ok', path: url.pathname, query: url.searchParams };
}
