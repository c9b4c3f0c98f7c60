export type StrictJson =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'invalid'; readonly reason: 'syntax' | 'duplicate_key' | 'too_deep' };

/**
 * JSON.parse, plus what it lets through silently: an object naming the same key twice
 * (JSON.parse keeps the last, so two readers of one body may disagree) and nesting deeper
 * than `maxDepth`. Linear in the text; nothing here recurses. Keys are compared after
 * unescaping, so `"a"` and `"\u0061"` are the same key.
 */
export function parseStrictJson(text: string, maxDepth: number): StrictJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'syntax' };
  }
  const problem = scanObjects(text, maxDepth);
  return problem === null ? { kind: 'ok', value } : { kind: 'invalid', reason: problem };
}

/** Walks text that JSON.parse accepted: after `{` or an object's `,` the next string is a key. */
function scanObjects(text: string, maxDepth: number): 'duplicate_key' | 'too_deep' | null {
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const literal = text.slice(i, end + 1);
        const key = literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
        if (keys.has(key)) return 'duplicate_key';
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (open.length >= maxDepth) return 'too_deep';
      open.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
    } else if (c === 0x2c) {
      expectKey = open[open.length - 1] instanceof Set;
    }
  }
  return null;
}

/** Index of the quote closing the string that starts at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i;
    else i++;
  }
  return i;
}
