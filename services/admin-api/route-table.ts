export interface RouteMatch<H> {
  readonly template: string;
  readonly handler: H;
  readonly params: Readonly<Record<string, string>>;
}

export type RouteLookup<H> =
  | { readonly kind: 'found'; readonly match: RouteMatch<H> }
  | { readonly kind: 'method_not_allowed'; readonly template: string; readonly allowed: readonly string[] }
  | { readonly kind: 'not_found' };

interface Route<H> {
  readonly method: string;
  readonly template: string;
  readonly segments: readonly string[];
  readonly handler: H;
}

/** A minimal method + path-template router (`/v1/subscriptions/:id/verify`); a GET route also matches HEAD. */
export class RouteTable<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, template: string, handler: H): this {
    this.routes.push({ method, template, segments: template.split('/'), handler });
    return this;
  }

  lookup(method: string, path: string): RouteLookup<H> {
    const parts = path.split('/');
    const matching = this.routes.flatMap((r) => {
      const params = matchSegments(r.segments, parts);
      return params ? [{ route: r, params }] : [];
    });
    // HEAD is a GET without its body (RFC 9110 §9.3.2): every GET route answers it.
    const hit = matching.find((m) => m.route.method === method) ?? (method === 'HEAD' ? matching.find((m) => m.route.method === 'GET') : undefined);
    if (hit) return { kind: 'found', match: { template: hit.route.template, handler: hit.route.handler, params: hit.params } };
    const first = matching[0];
    if (first) return { kind: 'method_not_allowed', template: first.route.template, allowed: matching.flatMap((m) => (m.route.method === 'GET' ? ['GET', 'HEAD'] : [m.route.method])) };
    return { kind: 'not_found' };
  }

  templates(): { method: string; template: string }[] {
    return this.routes.map((r) => ({ method: r.method, template: r.template }));
  }
}

function matchSegments(template: readonly string[], parts: readonly string[]): Record<string, string> | null {
  if (template.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i] as string;
    const p = parts[i] as string;
    if (t.startsWith(':')) {
      if (p === '') return null;
      params[t.slice(1)] = decodeURIComponentSafe(p);
    } else if (t !== p) return null;
  }
  return params;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
