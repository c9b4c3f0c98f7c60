import { ValidationError } from '../shared/errors.js';
import type { Reply, Route } from './admin-routes.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import type { FeedTokens } from './feed-token.js';
import { streamFeed } from './feed-stream.js';
import type { FeedStreamTiming } from './feed-stream.js';
import { portalSecurityHeaders } from './portal-files.js';
import type { PortalFiles } from './portal-files.js';
import type { DeliveryFeedSource } from './redis-delivery-feed.js';
import { decodeExampleQuery, requestExample } from './request-examples.js';
import type { RouteTable } from './route-table.js';
import type { SubscriptionService } from './subscription-service.js';

export interface PortalRouteDeps {
  readonly service: SubscriptionService;
  readonly files: PortalFiles;
  readonly feed: DeliveryFeedSource;
  readonly tokens: FeedTokens;
  readonly timing: FeedStreamTiming;
  readonly now: () => Date;
}

const who = (principal: Principal | null): Principal => {
  if (!principal) throw new ApiError('unauthorized', 'missing or invalid API key');
  return principal;
};

/** Refuses every query parameter but `allowed`, and a repeated one. */
function onlyParams(query: URLSearchParams, allowed: readonly string[]): void {
  for (const key of new Set(query.keys())) {
    if (!allowed.includes(key)) throw new ValidationError([{ field: `query.${key}`, message: 'is not a known parameter' }]);
    if (query.getAll(key).length > 1) throw new ValidationError([{ field: `query.${key}`, message: 'must be given once' }]);
  }
}

/**
 * The Webhook Manager (DESIGN.md §11): its static files under `/portal/`, the example
 * request of a kind and content type, and a subscription's live feed (a token from an
 * authenticated POST, then Server-Sent Events).
 */
export function addPortalRoutes(table: RouteTable<Route>, d: PortalRouteDeps): RouteTable<Route> {
  const file = (name: string): Reply => {
    const found = d.files.get(name);
    if (found === null) throw new ApiError('not_found', 'no such portal file');
    return { status: 200, raw: found.bytes, contentType: found.contentType, headers: { ...portalSecurityHeaders, 'cache-control': 'no-cache', etag: found.etag } };
  };
  const sub = '/v1/subscriptions/:id';
  return table
    .add('GET', '/portal', { auth: false, body: 'none', run: async () => ({ status: 308, raw: Buffer.alloc(0), contentType: null, headers: { location: '/portal/' } }) })
    .add('GET', '/portal/', { auth: false, body: 'none', run: async () => file('') })
    .add('GET', '/portal/:file', { auth: false, body: 'none', run: async (c) => file(c.params.file ?? '') })
    .add('GET', '/v1/examples', {
      auth: true, body: 'none',
      run: async (c) => {
        const p = who(c.principal);
        return { status: 200, json: requestExample(decodeExampleQuery(c.query), p.kind === 'account' ? p.accountId : 'acc_example', d.now()) };
      },
    })
    .add('POST', `${sub}/feed-token`, {
      auth: true, body: 'empty',
      run: async (c) => {
        const s = await d.service.get(who(c.principal), c.params.id ?? '');
        return { status: 200, json: d.tokens.issue(who(c.principal), s.id, d.now()) };
      },
    })
    .add('GET', `${sub}/feed`, {
      // The token is the credential: EventSource cannot send a header.
      auth: false, body: 'none',
      run: async (c) => {
        onlyParams(c.query, ['token']);
        const id = c.params.id ?? '';
        const check = d.tokens.check(c.query.get('token') ?? '', id, d.now());
        if (check.kind === 'invalid') throw new ApiError('unauthorized', 'missing, expired or foreign feed token (POST …/feed-token for a new one)', 'query.token');
        // Ownership again: the subscription may have been deleted since the token was issued.
        const s = await d.service.get(check.principal, id);
        return { status: 200, stream: (sink) => streamFeed(d.feed, s.id, sink, d.timing) };
      },
    });
}
