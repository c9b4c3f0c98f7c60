/** What an endpoint's 2xx reply to a verification challenge holds. */
export type ChallengeAnswer =
  | { readonly kind: 'answer'; readonly hex: string; readonly form: 'hex' | 'challengeResponse' | 'challenge' }
  | { readonly kind: 'malformed'; readonly message: string };

/** The JSON keys that may carry the answer: ours first, then Smartcar's. */
export const answerKeys = ['challengeResponse', 'challenge'] as const;

const hex64 = /^[0-9a-fA-F]{64}$/;
const expected = 'answer with the 64 hex characters of HMAC-SHA256(challenge, secret), bare or as {"challengeResponse": "<hex>"} or {"challenge": "<hex>"}';

/**
 * Reads the endpoint's answer to a challenge (pure). Three forms are accepted: the bare hex
 * string as the whole body (any content type), a JSON object `{"challengeResponse": "<hex>"}`
 * (ours), or `{"challenge": "<hex>"}` (Smartcar's). Surrounding whitespace and hex case are
 * ignored, and other keys of the object too. Anything else is `malformed` with the reason:
 * an empty or cut-off body (`truncated`: longer than the caller reads), text that is
 * neither hex nor JSON, a JSON value that is not an object, both keys at once, a key
 * holding something other than 64 hex characters.
 */
export function readChallengeAnswer(body: string, truncated = false): ChallengeAnswer {
  const malformed = (why: string): ChallengeAnswer => ({ kind: 'malformed', message: `${why}; ${expected}` });
  if (truncated) return malformed('the response body is longer than the 4 KiB read');
  const trimmed = body.trim();
  if (trimmed === '') return malformed('the response body is empty');
  if (hex64.test(trimmed)) return { kind: 'answer', hex: trimmed.toLowerCase(), form: 'hex' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return malformed(/^[0-9a-fA-F]+$/.test(trimmed) ? `the body holds ${trimmed.length} hex characters, not 64` : 'the body is neither 64 hex characters nor JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return malformed(`the JSON body is ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`}, not an object`);
  }
  const present = answerKeys.filter((k) => Object.hasOwn(parsed, k));
  const [key] = present;
  if (key === undefined) return malformed('the JSON object has neither "challengeResponse" nor "challenge"');
  if (present.length > 1) return malformed('the JSON object has both "challengeResponse" and "challenge"; send one');
  const value: unknown = (parsed as Record<string, unknown>)[key];
  if (typeof value !== 'string') return malformed(`"${key}" is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a string`);
  if (!hex64.test(value)) return malformed(`"${key}" is not 64 hex characters`);
  return { kind: 'answer', hex: value.toLowerCase(), form: key };
}
