import { ValidationError } from '../shared/errors.js';
import { checkTokenSyntax } from './alert-email-confirmer.js';
import type { AlertEmailConfirmer } from './alert-email-confirmer.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import type { DeliveryStatusSource } from './delivery-status-source.js';
import type { EndpointActions } from './endpoint-actions.js';
import type { StreamSink } from './feed-stream.js';
import { landmarkIdPattern } from '../shared/landmarks/landmark-types.js';
import type { LandmarkService } from './landmark-service.js';
import { toLandmarkView } from './landmark-view.js';
import { decodeListQuery } from './list-query.js';
import type { MessageService } from './message-service.js';
import { confirmationFormPage, confirmationResultPage } from './confirmation-page.js';
import { RouteTable } from './route-table.js';
import type { RecoveryService } from './recovery-service.js';
import type { ReplayService } from './replay-service.js';
import type { SubscriptionService } from './subscription-service.js';
import type { VehicleStateService } from './vehicle-state-service.js';
import { toVehicleStateView } from './vehicle-state-view.js';

export interface RequestContext {
  readonly principal: Principal | null;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export type Reply =
  | { readonly status: number; readonly json: unknown }
  | { readonly status: number; readonly text: string; readonly contentType: string }
  /** Bytes as they are (the portal's files, a redirect), with headers of their own. */
  | { readonly status: number; readonly raw: Buffer; readonly contentType: string | null; readonly headers: Readonly<Record<string, string>> }
  /** Server-Sent Events, written until `run` returns or the client goes away. */
  | { readonly status: 200; readonly stream: (sink: StreamSink) => Promise<void> }
  | { readonly status: 204 };

export interface Route {
  /** Whether the call needs an API key. */
  readonly auth: boolean;
  /** `json`: a JSON object body is required; `empty`: no body, or `{}`; `optional`: no body, or JSON; `none`: not read. */
  readonly body: 'json' | 'empty' | 'optional' | 'none';
  run(ctx: RequestContext): Promise<Reply>;
}

export interface RouteDeps {
  readonly service: SubscriptionService;
  readonly actions: EndpointActions;
  readonly confirmer: AlertEmailConfirmer;
  readonly landmarks: LandmarkService;
  readonly vehicles: VehicleStateService;
  readonly status: DeliveryStatusSource;
  readonly recoveries: Pick<RecoveryService, 'recover' | 'status'>;
  readonly messages: MessageService;
  readonly replays: Pick<ReplayService, 'start' | 'get' | 'cancel'>;
  readonly isReady: () => boolean;
  readonly metricsText: () => Promise<{ text: string; contentType: string }>;
  readonly openapi: () => unknown;
}

const who = (ctx: RequestContext): Principal => {
  if (!ctx.principal) throw new ApiError('unauthorized', 'missing or invalid API key');
  return ctx.principal;
};
const id = (ctx: RequestContext): string => ctx.params.id ?? '';
const ok = (json: unknown): Reply => ({ status: 200, json });
const html = (status: number, text: string): Reply => ({ status, text, contentType: 'text/html; charset=utf-8' });
export const maxAttemptsShown = 100;

/** A route that takes no query parameters refuses any. */
function noQuery(query: URLSearchParams): void {
  const unknown = [...query.keys()][0];
  if (unknown !== undefined) throw new ValidationError([{ field: `query.${unknown}`, message: 'is not a known parameter' }]);
}

/** `?limit=1..100` on the attempt log (default 100); anything else is refused. */
function decodeAttemptLimit(query: URLSearchParams): number {
  const unknown = [...query.keys()].find((k) => k !== 'limit');
  if (unknown !== undefined) throw new ValidationError([{ field: `query.${unknown}`, message: 'is not a known parameter' }]);
  const text = query.get('limit');
  if (text === null) return maxAttemptsShown;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > maxAttemptsShown) throw new ValidationError([{ field: 'query.limit', message: `must be an integer between 1 and ${maxAttemptsShown}` }]);
  return limit;
}

export function adminRoutes(d: RouteDeps): RouteTable<Route> {
  const api = (body: Route['body'], run: Route['run']): Route => ({ auth: true, body, run });
  const open = (run: Route['run']): Route => ({ auth: false, body: 'none', run });
  const sub = '/v1/subscriptions/:id';
  return new RouteTable<Route>()
    .add('POST', '/v1/subscriptions', api('json', async (c) => ({ status: 201, json: await d.service.create(who(c), c.body) })))
    .add('GET', '/v1/subscriptions', api('none', async (c) => {
      const q = decodeListQuery(c.query, who(c));
      const all = (await d.service.list(who(c), q.accountId)).filter((s) => q.cursor === null || s.id > q.cursor);
      const page = all.slice(0, q.limit);
      const last = page[page.length - 1];
      return ok({ data: page.map((s) => d.service.view(s)), nextCursor: all.length > q.limit && last ? last.id : null });
    }))
    .add('GET', sub, api('none', async (c) => ok(d.service.view(await d.service.get(who(c), id(c))))))
    .add('PATCH', sub, api('json', async (c) => ok(d.service.view(await d.service.patch(who(c), id(c), c.body)))))
    .add('DELETE', sub, api('none', async (c) => {
      await d.service.remove(who(c), id(c));
      return { status: 204 };
    }))
    .add('POST', `${sub}/verify`, api('empty', async (c) => {
      const { result, subscription } = await d.actions.verify(who(c), id(c));
      return ok({ result, subscription: d.service.view(subscription) });
    }))
    .add('POST', `${sub}/test`, api('empty', async (c) => ok(await d.actions.test(who(c), id(c)))))
    .add('POST', `${sub}/pause`, api('empty', async (c) => ok(d.service.view(await d.service.pause(who(c), id(c))))))
    .add('POST', `${sub}/resume`, api('empty', async (c) => ok(d.service.view(await d.service.resume(who(c), id(c))))))
    .add('POST', `${sub}/reactivate`, api('empty', async (c) => ok(d.service.view(await d.service.reactivate(who(c), id(c))))))
    .add('POST', `${sub}/rotate-secret`, api('empty', async (c) => ok(await d.service.rotateSecret(who(c), id(c)))))
    .add('GET', `${sub}/status`, api('none', async (c) => {
      const s = await d.service.get(who(c), id(c));
      return ok({ id: s.id, state: s.state, verifiedAt: s.verifiedAt, delivery: await d.status.read(s.id), recovery: await d.recoveries.status(s.id) });
    }))
    .add('POST', `${sub}/recover`, api('optional', async (c) => ({ status: 202, json: await d.recoveries.recover(who(c), id(c), c.body) })))
    .add('POST', `${sub}/replays`, api('json', async (c) => ({ status: 202, json: await d.replays.start(who(c), id(c), c.body) })))
    .add('GET', `${sub}/replays/:replayId`, api('none', async (c) => ok(await d.replays.get(who(c), id(c), c.params.replayId ?? ''))))
    .add('DELETE', `${sub}/replays/:replayId`, api('none', async (c) => ({ status: 202, json: await d.replays.cancel(who(c), id(c), c.params.replayId ?? '') })))
    .add('GET', `${sub}/attempts`, api('none', async (c) => {
      const s = await d.service.get(who(c), id(c));
      return ok({ id: s.id, attempts: await d.status.attempts(s.id, decodeAttemptLimit(c.query)) });
    }))
    .add('PUT', `${sub}/vehicles/:vehicleId`, api('empty', async (c) => ok(d.service.view(await d.service.changeVehicle(who(c), id(c), 'subscribe', c.params.vehicleId ?? '')))))
    .add('DELETE', `${sub}/vehicles/:vehicleId`, api('none', async (c) => ok(d.service.view(await d.service.changeVehicle(who(c), id(c), 'unsubscribe', c.params.vehicleId ?? '')))))
    .add('GET', `${sub}/messages`, api('none', async (c) => ok(await d.messages.list(who(c), id(c), c.query))))
    .add('GET', '/v1/messages/:webhookId', api('none', async (c) => {
      noQuery(c.query);
      return ok(await d.messages.show(who(c), c.params.webhookId ?? ''));
    }))
    .add('POST', '/v1/messages/:webhookId/resend', api('empty', async (c) => {
      noQuery(c.query);
      return ok(await d.messages.resend(who(c), c.params.webhookId ?? ''));
    }))
    .add('POST', `${sub}/alert-emails/confirm`, api('json', async (c) => ok(d.service.view(await d.confirmer.confirmByOwner(who(c), id(c), c.body)))))
    .add('POST', '/v1/landmarks', api('json', async (c) => ({ status: 201, json: toLandmarkView(await d.landmarks.create(who(c), c.body)) })))
    .add('GET', '/v1/landmarks', api('none', async (c) => {
      const q = decodeListQuery(c.query, who(c), { test: (s) => landmarkIdPattern.test(s), hint: 'a landmark id' });
      const all = (await d.landmarks.list(who(c), q.accountId)).filter((l) => q.cursor === null || l.id > q.cursor);
      const page = all.slice(0, q.limit);
      const last = page[page.length - 1];
      return ok({ data: page.map(toLandmarkView), nextCursor: all.length > q.limit && last ? last.id : null });
    }))
    .add('GET', '/v1/landmarks/:id', api('none', async (c) => ok(toLandmarkView(await d.landmarks.get(who(c), id(c))))))
    .add('PATCH', '/v1/landmarks/:id', api('json', async (c) => ok(toLandmarkView(await d.landmarks.patch(who(c), id(c), c.body)))))
    .add('DELETE', '/v1/landmarks/:id', api('none', async (c) => {
      await d.landmarks.remove(who(c), id(c));
      return { status: 204 };
    }))
    .add('GET', '/v1/vehicles/:vehicleId/state', api('none', async (c) => ok(toVehicleStateView(await d.vehicles.get(who(c), c.params.vehicleId ?? '')))))
    .add('GET', '/v1/alert-email-confirmations/:token', open(async (c) => {
      checkTokenSyntax(c.params.token ?? '');
      return html(200, confirmationFormPage(c.params.token ?? ''));
    }))
    .add('POST', '/v1/alert-email-confirmations/:token', open(async (c) => {
      const asPage = c.query.get('format') === 'html';
      try {
        const done = await d.confirmer.confirmByLink(c.params.token ?? '');
        return asPage ? html(200, confirmationResultPage({ kind: 'confirmed', ...done })) : ok(done);
      } catch (err) {
        if (asPage && err instanceof ApiError && err.apiCode === 'not_found') return html(404, confirmationResultPage({ kind: 'refused' }));
        throw err;
      }
    }))
    .add('GET', '/v1/openapi.json', open(async () => ok(d.openapi())))
    .add('GET', '/healthz', open(async () => ok({ status: 'ok' })))
    .add('GET', '/readyz', open(async () => (d.isReady() ? ok({ status: 'ready' }) : { status: 503, json: { status: 'catching_up' } })))
    .add('GET', '/metrics', open(async () => {
      const m = await d.metricsText();
      return { status: 200, text: m.text, contentType: m.contentType };
    }));
}
