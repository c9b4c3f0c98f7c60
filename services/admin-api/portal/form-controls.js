// Labelled form controls with an error slot each: every input has a <label>, help and errors are tied by aria-describedby.
import { el } from './dom.js';

function described(id, help) {
  return [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ');
}

function wrap(id, labelText, control, help) {
  return el('div', { class: 'field', 'data-for': id },
    el('label', { for: id, text: labelText }),
    control,
    help ? el('p', { id: `${id}-help`, class: 'help', text: help }) : null,
    el('p', { id: `${id}-error`, class: 'field-error' }),
  );
}

export function textField(id, labelText, { type = 'text', help, required = false, value = '', min, max, maxlength, autocomplete = 'off' } = {}) {
  const input = el('input', { id, name: id, type, required, value, min, max, maxlength, autocomplete, 'aria-describedby': described(id, help) });
  return wrap(id, labelText, input, help);
}

export function textArea(id, labelText, { help, value = '' } = {}) {
  const area = el('textarea', { id, name: id, rows: 2, 'aria-describedby': described(id, help) });
  area.value = value;
  return wrap(id, labelText, area, help);
}

export function selectField(id, labelText, options, { help, value } = {}) {
  const select = el('select', { id, name: id, 'aria-describedby': described(id, help) },
    options.map((o) => el('option', { value: o, selected: o === value, text: o })));
  return wrap(id, labelText, select, help);
}

export function checkbox(id, labelText, { checked = false } = {}) {
  return el('div', { class: 'check' },
    el('input', { id, name: id, type: 'checkbox', checked, 'aria-describedby': `${id}-error` }),
    el('label', { for: id, text: labelText }),
    el('p', { id: `${id}-error`, class: 'field-error' }),
  );
}

export function fieldset(legend, ...children) {
  return el('fieldset', {}, el('legend', { text: legend }), ...children);
}

/** The value of a control, trimmed. */
export const valueOf = (id) => document.getElementById(id).value.trim();
export const checked = (id) => document.getElementById(id).checked;
/** Comma, space or newline separated list; empty entries dropped. */
export const listOf = (id) => valueOf(id).split(/[\s,]+/).filter((s) => s !== '');
/** A number when the text is one, else the text (the API then names the field). */
export function numberOf(id) {
  const text = valueOf(id);
  return text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
}
