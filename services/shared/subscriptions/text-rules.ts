/**
 * Patterns for the text fields of a subscription, written once as regex source so the
 * decoders (JavaScript, `u` flag) and the OpenAPI document (JSON Schema `pattern`, also
 * read by Python's `re` in the contract test) apply exactly the same rule.
 *
 * Control characters (C0, DEL, C1, NUL included) are never accepted in any text field:
 * they end up in headers, e-mails, logs and dashboards. Lone UTF-16 surrogates neither:
 * they cannot be encoded as UTF-8. They are not Unicode characters at all, so a JSON
 * Schema pattern does not name them; the decoders add them to the refused range.
 */
const controls = '\\u0000-\\u001F\\u007F-\\u009F';
const surrogates = '\\uD800-\\uDFFF';

export const textPatterns = {
  /** Any text without control characters (subscription names). */
  plainText: `^[^${controls}]+$`,
  /** A basic-auth user name: plain text without ":" (RFC 7617). */
  userName: `^[^:${controls}]+$`,
  /** A header value (secrets, fixed Authorization): visible ASCII and spaces, no tab or line break. */
  headerValue: '^[\\u0020-\\u007E]+$',
  /** An HTTP header name (RFC 9110 token). */
  headerName: "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$",
  /**
   * An e-mail address fleethook can send to: an ASCII dot-atom local part and a DNS host
   * name (IDN in punycode); no IP literal (`a@[127.0.0.1]`), quoted local part or comment.
   */
  email:
    "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@" +
    '(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$',
} as const;

/** The schema pattern with lone surrogates added to its refused range (only the two patterns that allow non-ASCII). */
const withoutSurrogates = (pattern: string): RegExp => new RegExp(pattern.replace(controls, controls + surrogates), 'u');

export const textRules = {
  plainText: withoutSurrogates(textPatterns.plainText),
  userName: withoutSurrogates(textPatterns.userName),
  headerValue: new RegExp(textPatterns.headerValue, 'u'),
  headerName: new RegExp(textPatterns.headerName, 'u'),
  email: new RegExp(textPatterns.email, 'u'),
} as const;

export const maxEmailLength = 254;

/** `name` matched in any letter case, spelled with character classes: `(?i)` is not portable between JavaScript and JSON Schema tools. */
export function anyCase(name: string): string {
  return [...name].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join('');
}
