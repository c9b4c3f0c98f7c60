// The example headers and body for the form's choices, from GET /v1/examples (the server builds them as it builds real requests).
import { api, describeError } from './api.js';
import { byId } from './dom.js';

let latest = 0;

export async function showExample(query) {
  const mine = ++latest;
  const r = await api('GET', `/v1/examples?${query}`);
  if (mine !== latest) return; // a newer choice was made meanwhile
  const headers = byId('example-headers');
  const body = byId('example-body');
  if (!r.ok) {
    headers.textContent = describeError(r.body);
    body.textContent = '';
    return;
  }
  headers.textContent = Object.entries(r.body.headers).map(([name, value]) => `${name}: ${value}`).join('\n');
  body.textContent = r.body.headers['content-type'] === 'application/json' ? JSON.stringify(JSON.parse(r.body.body), null, 2) : r.body.body;
}
