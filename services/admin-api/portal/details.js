// One subscription: its facts, the actions (verify, test, pause, resume, reactivate, rotate, edit, delete) and the attempt log.
import { api, describeError } from './api.js';
import { byId, el, orDash, show, when } from './dom.js';
import { resetFeed } from './live-feed.js';

let current = null;
let hooks = null;

function facts(sub, status) {
  const d = status?.delivery ?? {};
  const rows = [
    ['ID', sub.id], ['Account', sub.accountId], ['State', status?.state ?? sub.state], ['URL', sub.url], ['Content type', sub.contentType],
    ['Signing secret', sub.signing.current], ['Verified', when(sub.verifiedAt)], ['Retry tier', orDash(d.currentTier)],
    ['Alert e-mails', sub.alertEmailConfirmations.map((a) => `${a.address} (${a.state})`).join(', ') || '—'],
  ];
  byId('details-facts').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { 'data-fact': k, text: v })]));
}

/** The secret of a create or a rotation, shown once; gone from the page when dismissed. */
export function showSecretOnce(secret) {
  byId('secret-value').textContent = secret;
  const box = byId('secret-once');
  show(box, true);
  box.focus();
  byId('secret-done').onclick = () => {
    byId('secret-value').textContent = '';
    show(box, false);
    byId('details').focus();
  };
}

function say(text) {
  byId('action-result').textContent = text;
}

const describe = {
  verify: (b) => (b.result.kind === 'verified' ? `Verified (status ${b.result.statusCode}, ${b.result.latencyMs} ms).` : `Verification failed: ${b.result.reason} — ${b.result.message}`),
  test: (b) => (b.delivered ? `Test event ${b.webhookId} delivered: status ${b.statusCode}, ${b.latencyMs} ms.` : `Test event ${b.webhookId} not delivered: ${b.error}`),
  pause: () => 'Paused.', resume: (b) => `Resumed: now ${b.state}.`, reactivate: (b) => `Reactivated: now ${b.state}.`,
  'rotate-secret': () => 'Secret rotated: the previous one keeps signing during the grace period.',
};

async function act(action) {
  const sub = current;
  if (action === 'edit') return hooks.edit(sub);
  if (action === 'delete') {
    byId('confirm-delete-text').textContent = `Delete “${sub.name}” (${sub.id})? Nothing more is delivered to it.`;
    show(byId('confirm-delete'), true);
    return byId('confirm-delete-no').focus();
  }
  say('Working…');
  const r = await api('POST', `/v1/subscriptions/${encodeURIComponent(sub.id)}/${action}`);
  if (!r.ok) return say(`${action} refused: ${describeError(r.body)}`);
  say(describe[action](r.body));
  if (action === 'rotate-secret') showSecretOnce(r.body.signingSecret);
  const fresh = r.body.subscription ?? (r.body.id ? r.body : null);
  if (fresh) current = fresh;
  await hooks.changed();
  await refreshDetails();
}

async function remove() {
  const sub = current;
  const r = await api('DELETE', `/v1/subscriptions/${encodeURIComponent(sub.id)}`);
  show(byId('confirm-delete'), false);
  if (!r.ok) return say(`Delete refused: ${describeError(r.body)}`);
  closeDetails();
  hooks.deleted(sub);
}

export async function loadAttempts() {
  if (!current) return;
  const r = await api('GET', `/v1/subscriptions/${encodeURIComponent(current.id)}/attempts?limit=50`);
  const body = byId('attempts').tBodies[0];
  if (!r.ok) return body.replaceChildren(el('tr', {}, el('td', { colspan: 5, text: describeError(r.body) })));
  const rows = (r.body.attempts ?? []).map((a) => el('tr', {},
    el('td', { text: when(a.at) }), el('td', {}, el('code', { text: a.webhookId })), el('td', { text: orDash(a.statusCode) }),
    el('td', { class: 'num', text: a.latencyMs === null ? '—' : `${a.latencyMs} ms` }), el('td', { text: orDash(a.error) })));
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 5, text: 'No attempts logged by the dispatcher yet.' }))]));
}

async function refreshDetails() {
  if (!current) return;
  const [sub, status] = await Promise.all([
    api('GET', `/v1/subscriptions/${encodeURIComponent(current.id)}`),
    api('GET', `/v1/subscriptions/${encodeURIComponent(current.id)}/status`),
  ]);
  if (sub.ok) current = sub.body;
  facts(current, status.ok ? status.body : null);
  await loadAttempts();
}

/** `h`: { changed(), deleted(sub), edit(sub) }. */
export function initDetails(h) {
  hooks = h;
  for (const button of document.querySelectorAll('#details [data-action]')) button.addEventListener('click', () => void act(button.dataset.action));
  byId('confirm-delete-yes').addEventListener('click', () => void remove());
  byId('confirm-delete-no').addEventListener('click', () => {
    show(byId('confirm-delete'), false);
    byId('details').querySelector('[data-action="delete"]').focus();
  });
  byId('attempts-refresh').addEventListener('click', () => void loadAttempts());
  // Each grid refresh also refreshes the open subscription's facts and attempt log.
  window.addEventListener('portal:statuses', (e) => {
    if (!current || !e.detail.has(current.id)) return;
    facts(current, e.detail.get(current.id));
    void loadAttempts();
  });
}

export async function openDetails(sub) {
  if (current?.id !== sub.id) resetFeed();
  current = sub;
  say('');
  show(byId('confirm-delete'), false);
  show(byId('details'), true);
  byId('details-title').textContent = sub.name;
  await refreshDetails();
  byId('details').focus();
}

export function closeDetails() {
  resetFeed();
  current = null;
  show(byId('details'), false);
}

export const currentSubscription = () => current;
