// Create and edit a subscription: every option of the API, errors beside their fields, the example request beside the form.
import { api, listAll } from './api.js';
import { byId, el, show } from './dom.js';
import { clearErrors, showErrors } from './field-errors.js';
import { buildEventParams, paramFieldsOf, readSelection, syncSpeedBounds } from './event-params.js';
import { checkbox, checked, fieldset, listOf, numberOf, selectField, textArea, textField, valueOf } from './form-controls.js';
import { formSchema } from './form-schema.js';
import { showExample } from './request-example.js';

function build(schema, sub, landmarks) {
  const src = sub?.source ?? { kind: 'gps' };
  const chosen = new Map((src.kind === 'event' ? src.eventTypes : []).map((e) => [e.type, e]));
  const auth = sub?.auth ?? { type: 'none' };
  const secretHelp = sub ? 'Leave empty to keep the stored value.' : undefined;
  const cadence = src.kind === 'scheduled' ? src.cadence : { every: 'hour' };
  return [
    el('p', { id: 'form-summary', class: 'field-error', role: 'alert', tabindex: '-1' }),
    textField('f-url', 'Endpoint URL', { type: 'url', required: true, value: sub?.url ?? '', help: sub ? 'Secret query values show as ********; enter the URL again in full to change it.' : 'https://… (http only where the operator allows it)' }),
    textField('f-name', 'Name', { required: true, value: sub?.name ?? '', maxlength: schema.maxNameLength }),
    sub ? null : textField('f-account', 'Account id (operator key only)', { help: 'Leave empty with an account key.' }),
    selectField('f-kind', 'Kind', schema.kinds, { value: src.kind }),
    fieldset('Event types', el('div', { id: 'f-events', class: 'checks' },
      schema.eventTypes.map((t) => checkbox(`f-evt-${t}`, t, { checked: chosen.has(t) }))),
    ...buildEventParams(schema, chosen, landmarks)),
    fieldset('Schedule (kind scheduled)',
      selectField('f-cadence', 'Every', schema.cadences, { value: cadence.every }),
      textField('f-minutes', 'Minutes (with every = minutes)', { type: 'number', min: schema.minutes.minimum, max: schema.minutes.maximum, value: cadence.minutes ?? 15 })),
    textArea('f-vehicles', 'Vehicle filter', { value: (sub?.vehicleFilter?.vehicleIds ?? []).join(', '), help: 'Vehicle ids, comma separated; empty = every vehicle of the account.' }),
    selectField('f-content-type', 'Content type', schema.contentTypes, { value: sub?.contentType ?? schema.contentTypes[0] }),
    fieldset('Batching',
      textField('f-max-items', 'Most items per request', { type: 'number', min: schema.batching.maxItems.minimum, max: schema.batching.maxItems.maximum, value: sub?.batching.maxItems ?? '', help: 'Empty: the default for the kind.' }),
      textField('f-max-wait', 'Longest wait before sending (ms)', { type: 'number', min: schema.batching.maxWaitMs.minimum, max: schema.batching.maxWaitMs.maximum, value: sub?.batching.maxWaitMs ?? '' })),
    fieldset('Endpoint authentication',
      selectField('f-auth-type', 'Method', schema.authTypes, { value: auth.type }),
      textField('f-auth-user', 'User name (basic)', { value: auth.userName ?? '' }),
      textField('f-auth-password', 'Password (basic)', { type: 'password', help: secretHelp }),
      textField('f-auth-token-name', 'Header name (custom)', { value: auth.tokenName ?? '' }),
      textField('f-auth-token-value', 'Token (bearer, apikey, custom)', { type: 'password', help: secretHelp }),
      textField('f-auth-authorization', 'Fixed Authorization header (none, apikey, custom; optional)', { type: 'password', help: secretHelp })),
    textArea('f-emails', 'Alert e-mails', { value: (sub?.alertEmails ?? []).join(', '), help: `Up to ${schema.maxAlertEmails}, comma separated; each address confirms by e-mail.` }),
    selectField('f-retry', 'Retry policy', schema.retryPolicies, { value: sub?.retryPolicy ?? schema.retryPolicies[0] }),
    el('div', { class: 'actions' },
      el('button', { type: 'submit', text: sub ? 'Save changes' : 'Create subscription' }),
      el('button', { type: 'button', id: 'form-cancel', text: 'Cancel' })),
  ];
}

/** The request body from the form, and which control each API field path belongs to. */
function read(schema, original) {
  const map = new Map([['url', 'f-url'], ['name', 'f-name'], ['accountId', 'f-account'], ['source', 'f-kind'], ['source.kind', 'f-kind'],
    ['source.eventTypes', 'f-evt-' + schema.eventTypes[0]], ['source.cadence', 'f-cadence'], ['source.cadence.minutes', 'f-minutes'],
    ['vehicleFilter', 'f-vehicles'], ['contentType', 'f-content-type'], ['batching', 'f-max-items'], ['batching.maxItems', 'f-max-items'],
    ['batching.maxWaitMs', 'f-max-wait'], ['auth', 'f-auth-type'], ['auth.type', 'f-auth-type'], ['auth.userName', 'f-auth-user'], ['auth.password', 'f-auth-password'],
    ['auth.tokenName', 'f-auth-token-name'], ['auth.tokenValue', 'f-auth-token-value'], ['auth.authorization', 'f-auth-authorization'],
    ['alertEmails', 'f-emails'], ['retryPolicy', 'f-retry']]);
  const kind = valueOf('f-kind');
  let source = { kind };
  if (kind === 'event') {
    const types = schema.eventTypes.filter((t) => checked(`f-evt-${t}`));
    // The stored order first, so an unchanged selection reads back exactly as it was.
    const stored = original?.source.kind === 'event' ? original.source.eventTypes.map((e) => e.type) : [];
    types.sort((a, b) => (stored.includes(a) ? stored.indexOf(a) : stored.length) - (stored.includes(b) ? stored.indexOf(b) : stored.length));
    source.eventTypes = types.map((type, i) => {
      map.set(`source.eventTypes[${i}]`, `f-evt-${type}`);
      return readSelection(type, i, map);
    });
  } else if (kind === 'scheduled') {
    source.cadence = valueOf('f-cadence') === 'minutes' ? { every: 'minutes', minutes: numberOf('f-minutes') } : { every: valueOf('f-cadence') };
  }
  const body = { url: valueOf('f-url'), name: valueOf('f-name'), source, contentType: valueOf('f-content-type'), retryPolicy: valueOf('f-retry') };
  const vehicles = listOf('f-vehicles');
  body.vehicleFilter = vehicles.length ? { vehicleIds: vehicles } : null;
  vehicles.forEach((_, i) => map.set(`vehicleFilter.vehicleIds[${i}]`, 'f-vehicles'));
  body.alertEmails = listOf('f-emails');
  body.alertEmails.forEach((_, i) => map.set(`alertEmails[${i}]`, 'f-emails'));
  if (valueOf('f-max-items') !== '' || valueOf('f-max-wait') !== '') body.batching = { maxItems: numberOf('f-max-items'), maxWaitMs: numberOf('f-max-wait') };
  const auth = readAuth();
  if (auth) body.auth = auth;
  if (!original && byId('f-account') && valueOf('f-account') !== '') body.accountId = valueOf('f-account');
  return { body: original ? changedOnly(body, original) : body, map };
}

function readAuth() {
  const type = valueOf('f-auth-type');
  const secret = (id) => (valueOf(id) === '' ? undefined : valueOf(id));
  const fixed = secret('f-auth-authorization');
  switch (type) {
    case 'none': return { type, ...(fixed ? { authorization: fixed } : {}) };
    case 'basic': return secret('f-auth-password') ? { type, userName: valueOf('f-auth-user'), password: secret('f-auth-password') } : { type, userName: valueOf('f-auth-user') };
    case 'bearer': return { type, tokenValue: secret('f-auth-token-value') };
    case 'apikey': return { type, tokenValue: secret('f-auth-token-value'), ...(fixed ? { authorization: fixed } : {}) };
    default: return { type, tokenName: valueOf('f-auth-token-name'), tokenValue: secret('f-auth-token-value'), ...(fixed ? { authorization: fixed } : {}) };
  }
}

/** JSON with object keys sorted: the same value however its keys were ordered. */
const canonical = (value) => JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));

/** An edit sends only what changed: the masked URL and secrets cannot be sent back. */
function changedOnly(body, original) {
  const out = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'auth') {
      const secrets = ['password', 'tokenValue', 'authorization'].filter((k) => value[k] !== undefined);
      const same = value.type === original.auth.type && secrets.length === 0 && (value.userName ?? '') === (original.auth.userName ?? '') && (value.tokenName ?? '') === (original.auth.tokenName ?? '');
      if (!same) out.auth = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
    } else if (canonical(value) !== canonical(original[key])) out[key] = value;
  }
  return out;
}

function syncVisibility(schema) {
  const kind = valueOf('f-kind');
  show(byId('f-events').closest('fieldset'), kind === 'event');
  show(byId('f-cadence').closest('fieldset'), kind === 'scheduled');
  for (const type of schema.eventTypes) for (const id of paramFieldsOf(type)) show(byId(id).closest('.field'), checked(`f-evt-${type}`));
  syncSpeedBounds(schema);
  const auth = valueOf('f-auth-type');
  const visible = { 'f-auth-user': ['basic'], 'f-auth-password': ['basic'], 'f-auth-token-name': ['custom'], 'f-auth-token-value': ['bearer', 'apikey', 'custom'], 'f-auth-authorization': ['none', 'apikey', 'custom'] };
  for (const [id, types] of Object.entries(visible)) show(byId(id).closest('.field'), types.includes(auth));
}

function exampleQuery(schema) {
  const kind = valueOf('f-kind');
  const q = new URLSearchParams({ kind, contentType: valueOf('f-content-type'), auth: valueOf('f-auth-type') });
  const firstEvent = schema.eventTypes.find((t) => checked(`f-evt-${t}`));
  if (kind === 'event' && firstEvent) q.set('eventType', firstEvent);
  return q;
}

/** Opens the form for a new subscription (`sub` undefined) or to edit one; `onDone(reply)` after a success. */
export async function openForm(sub, onDone, onCancel) {
  const form = byId('subscription-form');
  // The previous form goes at once: nothing can be typed into it while the choices load.
  form.replaceChildren(el('p', { class: 'muted', role: 'status', text: 'Loading…' }));
  const [schema, landmarks] = await Promise.all([formSchema(), listAll('/v1/landmarks')]);
  // Without the list (an error), stored ids still show and stay chosen. The operator key lists every account's: offer the subscription's own.
  const own = (landmarks.ok ? landmarks.body : []).filter((l) => !sub || l.accountId === sub.accountId);
  form.replaceChildren(...build(schema, sub, own).filter(Boolean));
  byId('editor-title').textContent = sub ? `Edit ${sub.name}` : 'New subscription';
  const refresh = () => {
    syncVisibility(schema);
    void showExample(exampleQuery(schema));
  };
  form.onchange = refresh;
  refresh();
  byId('form-cancel').onclick = onCancel;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const summary = byId('form-summary');
    clearErrors(form, summary);
    const { body, map } = read(schema, sub);
    if (sub && Object.keys(body).length === 0) {
      summary.textContent = 'Nothing changed.';
      return;
    }
    const r = sub ? await api('PATCH', `/v1/subscriptions/${encodeURIComponent(sub.id)}`, body) : await api('POST', '/v1/subscriptions', body);
    if (!r.ok) showErrors(r.body, map, summary);
    else onDone(r.body);
  };
  byId('f-url').focus();
}
