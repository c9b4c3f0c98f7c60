import { secretQueryKey } from '../subscriptions/url-query-secrets.js';

/**
 * An endpoint URL safe to show in an alert e-mail or a log (pure): user name and password
 * removed, values of query parameters whose names look secret masked. A URL that does not
 * parse still loses anything between `//` and `@`.
 */

export function urlWithoutCredentials(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
  url.username = '';
  url.password = '';
  for (const key of [...url.searchParams.keys()]) {
    if (secretQueryKey.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}
