/** Query parameter names that look like they carry a secret (`token`, `api_key`, `sig`, `password`…): containing one of these. */
export const secretQueryNames = ['token', 'secret', 'sig', 'key', 'pass', 'auth', 'code'] as const;
export const secretQueryKey = new RegExp(secretQueryNames.join('|'), 'i');
/** What a secret query value is replaced with in the stored URL and in API views. */
export const maskedQueryValue = '********';

/**
 * Takes the values of secret-looking query parameters out of a URL (pure): `url` keeps
 * them as `********`, `secrets` holds the raw (still percent-encoded) values in order,
 * so `joinUrlSecrets` gives back the exact URL. The raw query is split by hand rather
 * than through URLSearchParams, which would re-encode the parts it does not touch.
 */
export function splitUrlSecrets(url: string): { url: string; secrets: string[] } {
  const q = url.indexOf('?');
  if (q === -1) return { url, secrets: [] };
  const secrets: string[] = [];
  const pieces = url.slice(q + 1).split('&').map((piece) => {
    const eq = piece.indexOf('=');
    if (eq <= 0 || eq === piece.length - 1 || !secretQueryKey.test(decodeName(piece.slice(0, eq)))) return piece;
    secrets.push(piece.slice(eq + 1));
    return `${piece.slice(0, eq)}=${maskedQueryValue}`;
  });
  return { url: `${url.slice(0, q)}?${pieces.join('&')}`, secrets };
}

/** The inverse of `splitUrlSecrets`. */
export function joinUrlSecrets(masked: string, secrets: readonly string[]): string {
  const q = masked.indexOf('?');
  if (q === -1 || secrets.length === 0) return masked;
  let next = 0;
  const pieces = masked.slice(q + 1).split('&').map((piece) => {
    const eq = piece.indexOf('=');
    if (eq <= 0 || piece.slice(eq + 1) !== maskedQueryValue || !secretQueryKey.test(decodeName(piece.slice(0, eq)))) return piece;
    const secret = secrets[next++];
    return secret === undefined ? piece : `${piece.slice(0, eq)}=${secret}`;
  });
  return `${masked.slice(0, q)}?${pieces.join('&')}`;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
