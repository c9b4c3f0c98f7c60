// The Webhook Manager: sign-in, then the grid, details, editor and landmarks.
import { api, session } from './api.js';
import { byId, show } from './dom.js';
import { closeDetails, currentSubscription, initDetails, openDetails, showSecretOnce } from './details.js';
import { Grid } from './grid.js';
import { initLandmarks, loadLandmarks } from './landmarks.js';
import { feedRunning, startFeed, stopFeed } from './live-feed.js';
import { openForm } from './subscription-form.js';

const grid = new Grid((id) => {
  const sub = grid.get(id);
  if (sub) void openDetails(sub);
});

function closeEditor() {
  show(byId('editor'), false);
}

async function edit(sub) {
  show(byId('editor'), true);
  await openForm(sub, async (reply) => {
    closeEditor();
    await grid.refresh();
    await openDetails(reply.subscription ?? reply);
    // After the details, so the secret is what has focus (and is read out) first.
    if (reply.signingSecret) showSecretOnce(reply.signingSecret);
  }, () => {
    closeEditor();
    byId(sub ? 'details' : 'new-subscription').focus();
  });
}

function section(name) {
  const subs = name === 'subscriptions';
  byId('show-subscriptions').setAttribute('aria-pressed', String(subs));
  byId('show-landmarks').setAttribute('aria-pressed', String(!subs));
  for (const id of ['subscriptions', 'details', 'editor', 'secret-once']) if (!subs) show(byId(id), false);
  show(byId('subscriptions'), subs);
  show(byId('landmarks'), !subs);
  if (!subs) void loadLandmarks();
}

function signedIn(on) {
  show(byId('sign-in'), !on);
  show(byId('app'), on);
  show(byId('sign-out'), on);
  if (on) {
    section('subscriptions');
    grid.start();
  } else {
    grid.stop();
    closeDetails();
    closeEditor();
    byId('api-key').focus();
  }
}

async function signIn(event) {
  event.preventDefault();
  const key = byId('api-key').value.trim();
  const error = byId('api-key-error');
  error.textContent = '';
  if (key === '') {
    error.textContent = 'Enter your API key.';
    return byId('api-key').focus();
  }
  session.signIn(key);
  const r = await api('GET', '/v1/subscriptions?limit=1');
  if (!r.ok) {
    session.signOut();
    error.textContent = r.status === 401 ? 'This key was refused.' : r.body.message;
    byId('api-key').setAttribute('aria-invalid', 'true');
    return byId('api-key').focus();
  }
  byId('api-key').value = '';
  byId('api-key').removeAttribute('aria-invalid');
  signedIn(true);
}

function start() {
  byId('sign-in-form').addEventListener('submit', (e) => void signIn(e));
  byId('sign-out').addEventListener('click', () => {
    session.signOut();
    signedIn(false);
  });
  window.addEventListener('portal:unauthorized', () => {
    session.signOut();
    signedIn(false);
    byId('api-key-error').textContent = 'Your key is no longer accepted; sign in again.';
  });
  byId('new-subscription').addEventListener('click', () => void edit(undefined));
  byId('show-subscriptions').addEventListener('click', () => section('subscriptions'));
  byId('show-landmarks').addEventListener('click', () => section('landmarks'));
  byId('feed-toggle').addEventListener('click', () => {
    const sub = currentSubscription();
    if (feedRunning()) stopFeed();
    else if (sub) startFeed(sub.id);
  });
  initDetails({ changed: () => grid.refresh(), deleted: () => void grid.refresh().then(() => byId('new-subscription').focus()), edit: (sub) => void edit(sub) });
  initLandmarks();
  signedIn(session.key() !== null);
}

start();
