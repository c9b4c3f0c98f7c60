// The parameters of event selections, edited exactly as the API holds them: a speed threshold in its own units
// (kmh or mph, never converted), idle minutes, and landmark ids chosen from the account's landmarks (none = all).
import { el } from './dom.js';
import { numberOf, selectField, textField, valueOf } from './form-controls.js';

const speed = {
  speeding: { id: 'f-threshold', label: 'Speeding threshold', fallback: 80 },
  posted_speeding: { id: 'f-overlimit', label: 'Posted speeding: over the limit by', fallback: 10 },
};
export const landmarkTypes = ['landmark_enter', 'landmark_leave', 'landmark_change'];
const landmarkControl = (type) => `f-lm-${type.replace('landmark_', '')}`;

/** The fields a selected type shows (for hiding those of unselected types). */
export function paramFieldsOf(type) {
  if (speed[type]) return [speed[type].id, `${speed[type].id}-units`];
  if (type === 'idle') return ['f-idle-minutes'];
  if (landmarkTypes.includes(type)) return [landmarkControl(type)];
  return [];
}

function speedFields(schema, type, sel) {
  const { id, label, fallback } = speed[type];
  const units = sel?.units ?? schema.speedUnits[0];
  const bounds = schema.speed[type][units];
  return [
    textField(id, `${label} (${type})`, { type: 'number', min: bounds.minimum, max: bounds.maximum, value: sel?.threshold ?? fallback }),
    selectField(`${id}-units`, `Units of the ${type} threshold`, schema.speedUnits, { value: units, help: 'kmh: km/h; mph: miles per hour. Kept as chosen, never converted.' }),
  ];
}

/**
 * The account's landmarks to choose from; ids the subscription names that are not among
 * them (deleted since) stay listed and chosen, so saving does not drop them silently.
 */
function landmarkField(type, sel, landmarks) {
  const id = landmarkControl(type);
  const chosen = sel?.landmarkIds ?? [];
  const known = new Map(landmarks.map((l) => [l.id, l.name]));
  const ids = [...chosen, ...landmarks.map((l) => l.id).filter((x) => !chosen.includes(x))];
  const select = el('select', { id, name: id, multiple: true, size: Math.min(Math.max(ids.length, 2), 6), 'aria-describedby': `${id}-help ${id}-error` },
    ids.map((x) => el('option', { value: x, selected: chosen.includes(x), text: known.has(x) ? `${known.get(x)} (${x})` : `${x} (not found)` })));
  return el('div', { class: 'field', 'data-for': id },
    el('label', { for: id, text: `Landmarks for ${type}` }),
    select,
    el('p', { id: `${id}-help`, class: 'help', text: "None chosen: every landmark of the account, also those added later." }),
    el('p', { id: `${id}-error`, class: 'field-error' }));
}

/** The parameter controls, filled from a subscription's selections (`chosen`: type → selection). */
export function buildEventParams(schema, chosen, landmarks) {
  const idle = chosen.get('idle');
  return [
    ...speedFields(schema, 'speeding', chosen.get('speeding')),
    ...speedFields(schema, 'posted_speeding', chosen.get('posted_speeding')),
    textField('f-idle-minutes', 'Idle: at least this many minutes', { type: 'number', min: schema.idleMinutes.minimum, max: schema.idleMinutes.maximum, value: idle?.minutes ?? '', help: 'Empty: every idle event.' }),
    ...landmarkTypes.map((t) => landmarkField(t, chosen.get(t), landmarks)),
  ];
}

/** Keeps a threshold field's bounds those of its chosen units. */
export function syncSpeedBounds(schema) {
  for (const [type, { id }] of Object.entries(speed)) {
    const bounds = schema.speed[type][valueOf(`${id}-units`)];
    if (!bounds) continue;
    const input = document.getElementById(id);
    input.min = String(bounds.minimum);
    input.max = String(bounds.maximum);
  }
}

/** The selection of `type` as the API takes it, at index `i`; `map` learns which control each parameter path belongs to. */
export function readSelection(type, i, map) {
  const at = `source.eventTypes[${i}]`;
  if (speed[type]) {
    const { id } = speed[type];
    map.set(`${at}.threshold`, id).set(`${at}.units`, `${id}-units`);
    return { type, threshold: numberOf(id), units: valueOf(`${id}-units`) };
  }
  if (type === 'idle') {
    map.set(`${at}.minutes`, 'f-idle-minutes');
    return valueOf('f-idle-minutes') === '' ? { type } : { type, minutes: numberOf('f-idle-minutes') };
  }
  if (landmarkTypes.includes(type)) {
    const id = landmarkControl(type);
    map.set(`${at}.landmarkIds`, id);
    const ids = [...document.getElementById(id).selectedOptions].map((o) => o.value);
    return ids.length === 0 ? { type } : { type, landmarkIds: ids };
  }
  return { type };
}
