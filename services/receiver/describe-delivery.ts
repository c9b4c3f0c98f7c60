export interface DeliverySummary {
  readonly id: string | null;
  readonly type: string | null;
  readonly mode: string | null;
  readonly itemCount: number | null;
  /** Event items' `type(origin)`, e.g. `speeding(derived)`; empty for other kinds. */
  readonly events: readonly string[];
  readonly challenge: string | null;
}

/** Reads the head of a delivery (JSON or form-encoded) without trusting its shape. */
export function describeDelivery(body: string, contentType: string): DeliverySummary {
  const fields = contentType.startsWith('application/x-www-form-urlencoded') ? fromForm(body) : fromJson(body);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const data = fields.data;
  return {
    id: str(fields.id),
    type: str(fields.type) ?? str(fields.eventName),
    mode: str(fields.mode),
    itemCount: Array.isArray(data) ? data.length : null,
    events: str(fields.type) === 'event' && Array.isArray(data) ? data.flatMap(eventLabel) : [],
    challenge: fields.eventName === 'verify' ? str(fields.challenge) : null,
  };
}

function eventLabel(item: unknown): string[] {
  if (typeof item !== 'object' || item === null) return [];
  const { type, origin } = item as Record<string, unknown>;
  if (typeof type !== 'string') return [];
  return [typeof origin === 'string' ? `${type}(${origin})` : type];
}

function fromJson(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function fromForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(new URLSearchParams(body));
  if (typeof out.data === 'string') out.data = fromJsonValue(out.data);
  return out;
}

function fromJsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
