// The admin API, called with the key kept in this tab's sessionStorage (no cookies, so no CSRF surface).
const storageKey = 'fleethook.apiKey';

export const session = {
  key: () => sessionStorage.getItem(storageKey),
  signIn: (key) => sessionStorage.setItem(storageKey, key),
  signOut: () => sessionStorage.removeItem(storageKey),
};

/**
 * One call. Resolves to { ok, status, body } where a failed call's body is the API's
 * error { code, message, field, issues? }; a network failure becomes the same shape.
 */
export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${session.key() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
  } catch {
    return { ok: false, status: 0, body: { code: 'network_error', message: 'the admin API cannot be reached', field: null } };
  }
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = { code: 'invalid_response', message: `unexpected answer (status ${res.status})`, field: null };
  }
  if (res.status === 401 && session.key() !== null) window.dispatchEvent(new CustomEvent('portal:unauthorized'));
  return { ok: res.ok, status: res.status, body: parsed };
}

/** Every page of a list endpoint. */
export async function listAll(path) {
  const all = [];
  let cursor = null;
  for (let page = 0; page < 50; page++) {
    const r = await api('GET', `${path}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (!r.ok) return r;
    all.push(...r.body.data);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  return { ok: true, status: 200, body: all };
}

/** "code: message" of an error body, for places without a field to show it beside. */
export function describeError(body) {
  if (!body) return 'unknown error';
  return body.field ? `${body.message} (${body.field})` : body.message;
}
