// The subscriptions grid: the list plus each one's delivery status, polled while the page is visible.
import { api, describeError, listAll } from './api.js';
import { byId, el, orDash, when } from './dom.js';

const pollMs = 3000;

function kindOf(source) {
  if (source.kind === 'event') return `event: ${source.eventTypes.map((e) => e.type).join(', ')}`;
  if (source.kind === 'scheduled') return `scheduled (${source.cadence.every === 'minutes' ? `${source.cadence.minutes} min` : source.cadence.every})`;
  return source.kind;
}

function stateBadge(state) {
  return el('span', { class: `badge state-${state}`, text: state.replace('_', ' ') });
}

function row(sub, status, onOpen) {
  const d = status?.delivery ?? {};
  const failure = d.lastFailureAt ? `${when(d.lastFailureAt)} — ${orDash(d.lastError)}` : '—';
  return el('tr', { 'data-id': sub.id },
    el('td', {}, el('code', { text: sub.id })),
    el('td', { text: sub.name }),
    el('td', { text: kindOf(sub.source) }),
    el('td', {}, stateBadge(status?.state ?? sub.state)),
    el('td', { class: 'num', text: orDash(d.backlogSize) }),
    el('td', { class: 'num', text: orDash(d.totalMessages) }),
    el('td', { class: 'num', text: orDash(d.totalDelivered) }),
    el('td', { text: when(d.lastSuccessAt) }),
    el('td', { text: failure }),
    el('td', { text: when(d.nextRetryAt) }),
    el('td', {}, el('button', { type: 'button', 'aria-label': `Open ${sub.name}`, onclick: () => onOpen(sub.id), text: 'Open' })),
  );
}

/** Keeps the grid current; `onOpen(id)` opens a subscription. */
export class Grid {
  constructor(onOpen) {
    this.onOpen = onOpen;
    this.timer = null;
    this.subscriptions = new Map();
  }

  start() {
    this.stop();
    const tick = async () => {
      // A hidden tab does not poll; it catches up when shown again.
      if (!document.hidden) await this.refresh();
      this.timer = setTimeout(tick, pollMs);
    };
    void tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  get(id) {
    return this.subscriptions.get(id);
  }

  async refresh() {
    const list = await listAll('/v1/subscriptions');
    const statusLine = byId('grid-status');
    if (!list.ok) {
      statusLine.textContent = `Could not load subscriptions: ${describeError(list.body)}`;
      return;
    }
    const statuses = await Promise.all(list.body.map((s) => api('GET', `/v1/subscriptions/${encodeURIComponent(s.id)}/status`)));
    this.subscriptions = new Map(list.body.map((s) => [s.id, s]));
    const rows = list.body.map((s, i) => row(s, statuses[i].ok ? statuses[i].body : null, this.onOpen));
    const body = byId('grid').tBodies[0];
    // Keep keyboard focus on the same row's button across a refresh.
    const focusedId = document.activeElement?.closest?.('#grid tr')?.dataset.id;
    body.replaceChildren(...rows);
    if (focusedId) body.querySelector(`tr[data-id="${CSS.escape(focusedId)}"] button`)?.focus();
    statusLine.textContent = list.body.length === 0 ? 'No subscriptions yet.' : `${list.body.length} subscription(s), updated ${new Date().toLocaleTimeString()}`;
    window.dispatchEvent(new CustomEvent('portal:statuses', { detail: new Map(list.body.map((s, i) => [s.id, statuses[i].ok ? statuses[i].body : null])) }));
  }
}
