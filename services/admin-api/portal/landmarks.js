// Landmarks (geofences) of the account: list, create a circle, delete.
import { api, describeError, listAll } from './api.js';
import { byId, el } from './dom.js';
import { clearErrors, showErrors } from './field-errors.js';
import { numberOf, textField, valueOf } from './form-controls.js';

function shapeText(shape) {
  if (shape.type === 'circle') return `circle ${shape.radiusM} m around ${shape.center.lat}, ${shape.center.lon}`;
  return `polygon, ${shape.coordinates[0].length - 1} corners`;
}

export async function loadLandmarks() {
  const r = await listAll('/v1/landmarks');
  const body = byId('landmark-list').tBodies[0];
  if (!r.ok) return body.replaceChildren(el('tr', {}, el('td', { colspan: 4, text: describeError(r.body) })));
  const rows = r.body.map((l) => el('tr', {},
    el('td', {}, el('code', { text: l.id })), el('td', { text: l.name }), el('td', { text: shapeText(l.shape) }),
    el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': `Delete landmark ${l.name}`, onclick: () => void remove(l), text: 'Delete' }))));
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 4, text: 'No landmarks yet.' }))]));
}

async function remove(landmark) {
  // A landmark is cheap to recreate; the button names it, and the result is announced.
  const r = await api('DELETE', `/v1/landmarks/${encodeURIComponent(landmark.id)}`);
  byId('landmark-result').textContent = r.ok ? `Deleted ${landmark.name}.` : `Delete refused: ${describeError(r.body)}`;
  await loadLandmarks();
}

export function initLandmarks() {
  const form = byId('landmark-form');
  form.replaceChildren(
    el('p', { id: 'lm-summary', class: 'field-error', role: 'alert', tabindex: '-1' }),
    textField('lm-name', 'Landmark name', { required: true }),
    textField('lm-lat', 'Centre latitude', { type: 'number', value: '52.52' }),
    textField('lm-lon', 'Centre longitude', { type: 'number', value: '13.405' }),
    textField('lm-radius', 'Radius (m)', { type: 'number', value: '250' }),
    textField('lm-account', 'Account id (operator key only)', { help: 'Leave empty with an account key.' }),
    el('button', { type: 'submit', text: 'Add landmark' }),
  );
  const map = new Map([['name', 'lm-name'], ['shape', 'lm-radius'], ['shape.center.lat', 'lm-lat'], ['shape.center.lon', 'lm-lon'], ['shape.radiusM', 'lm-radius'], ['accountId', 'lm-account']]);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form, byId('lm-summary'));
    const body = { name: valueOf('lm-name'), shape: { type: 'circle', center: { lat: numberOf('lm-lat'), lon: numberOf('lm-lon') }, radiusM: numberOf('lm-radius') } };
    if (valueOf('lm-account') !== '') body.accountId = valueOf('lm-account');
    const r = await api('POST', '/v1/landmarks', body);
    if (!r.ok) return showErrors(r.body, map, byId('lm-summary'));
    byId('landmark-result').textContent = `Added ${r.body.name} (${r.body.id}).`;
    await loadLandmarks();
  });
}
