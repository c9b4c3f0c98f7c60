// The Demo live feed: a short-lived token from an authenticated POST, then Server-Sent Events (no API key in any URL).
import { api, describeError } from './api.js';
import { byId, el, orDash, when } from './dom.js';

let source = null;
let subscriptionId = null;
const bodies = new Map();

function setRunning(running) {
  const toggle = byId('feed-toggle');
  toggle.setAttribute('aria-pressed', String(running));
  toggle.textContent = running ? 'Stop live feed' : 'Start live feed';
}

function showBody(entry) {
  const pre = byId('feed-body');
  pre.hidden = false;
  let text = entry.body;
  if (entry.contentType === 'application/json' && !entry.bodyTruncated) {
    try { text = JSON.stringify(JSON.parse(entry.body), null, 2); } catch { /* shown as received */ }
  }
  pre.textContent = `${entry.webhookId} (${entry.contentType}${entry.bodyTruncated ? ', first 8 KiB' : ''})\n\n${text}`;
  pre.focus();
}

function addEntry(entry) {
  if (bodies.has(entry.entryId)) return;
  bodies.set(entry.entryId, entry);
  const status = entry.statusCode === null ? orDash(entry.error) : String(entry.statusCode);
  const tr = el('tr', { 'data-webhook-id': entry.webhookId },
    el('td', { text: when(entry.at) }), el('td', {}, el('code', { text: entry.webhookId })), el('td', { text: entry.mode }),
    el('td', { text: status }), el('td', { class: 'num', text: entry.latencyMs === null ? '—' : `${entry.latencyMs} ms` }), el('td', { class: 'num', text: String(entry.items) }),
    el('td', {}, el('button', { type: 'button', 'aria-label': `Show body of ${entry.webhookId}`, onclick: () => showBody(entry), text: 'Body' })));
  byId('feed').tBodies[0].prepend(tr);
  byId('feed-status').textContent = `Live: ${bodies.size} request(s) shown, newest first.`;
}

async function connect() {
  const id = subscriptionId;
  const r = await api('POST', `/v1/subscriptions/${encodeURIComponent(id)}/feed-token`);
  if (id !== subscriptionId || source === null) return;
  if (!r.ok) {
    byId('feed-status').textContent = `Feed unavailable: ${describeError(r.body)}`;
    stopFeed();
    return;
  }
  const es = new EventSource(`/v1/subscriptions/${encodeURIComponent(id)}/feed?token=${encodeURIComponent(r.body.token)}`);
  source = es;
  es.addEventListener('open', () => { byId('feed-status').textContent = 'Live: waiting for requests…'; });
  es.addEventListener('delivery', (event) => addEntry(JSON.parse(event.data)));
  // The stream ends after a while, and its token expires: reconnect with a new token.
  const renew = () => {
    es.close();
    if (source === es) setTimeout(() => void connect(), 1000);
  };
  es.addEventListener('expired', renew);
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) renew();
  });
}

export function startFeed(id) {
  stopFeed();
  subscriptionId = id;
  source = 'connecting';
  setRunning(true);
  byId('feed-status').textContent = 'Connecting…';
  void connect();
}

export function stopFeed() {
  if (source && source !== 'connecting') source.close();
  source = null;
  setRunning(false);
  byId('feed-status').textContent = '';
}

export function resetFeed() {
  stopFeed();
  bodies.clear();
  byId('feed').tBodies[0].replaceChildren();
  byId('feed-body').hidden = true;
}

export const feedRunning = () => source !== null;
