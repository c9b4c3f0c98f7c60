// API errors ({ code, message, field, issues }) shown beside the field they name.
import { byId } from './dom.js';

/** Clears every message and aria-invalid mark inside `form`. */
export function clearErrors(form, summary) {
  for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  summary.textContent = '';
}

/** The control for an API field path: exact, else its nearest named parent (`a.b[2].c` → `a.b[2]` → `a.b` → `a`). */
function controlFor(fieldMap, field) {
  for (let path = field; path; path = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '')) {
    if (fieldMap.has(path)) return fieldMap.get(path);
    if (!/(\.[^.[\]]+|\[\d+\])$/.test(path)) break;
  }
  return null;
}

/**
 * Puts each issue beside its control (the first gets focus); issues with no control go
 * to the summary. `fieldMap` maps API paths (`batching.maxItems`) to control ids.
 */
export function showErrors(body, fieldMap, summary) {
  const issues = body.issues?.length ? body.issues : [{ field: body.field, message: body.message }];
  let first = null;
  const unplaced = [];
  for (const issue of issues) {
    const id = issue.field ? controlFor(fieldMap, issue.field) : null;
    const control = id ? byId(id) : null;
    if (!control) {
      unplaced.push(issue.field ? `${issue.field}: ${issue.message}` : issue.message);
      continue;
    }
    const slot = byId(`${id}-error`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent}; ${issue.message}` : issue.message;
    control.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  summary.textContent = unplaced.length ? `${body.code}: ${unplaced.join('; ')}` : `${body.code}: see the marked fields`;
  (first ?? summary).focus();
}
