import { ValidationError } from '../shared/errors.js';
import type { FieldIssue } from '../shared/errors.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { SsrfGuard } from '../shared/ssrf/ssrf-guard.js';
import { checkUrlPolicy } from '../shared/subscriptions/check-webhook-url.js';
import type { UrlPolicy } from '../shared/subscriptions/check-webhook-url.js';
import { decodeSubscriptionCreate, decodeSubscriptionPatch } from '../shared/subscriptions/decode-subscription-spec.js';
import type { SpecPatch } from '../shared/subscriptions/decode-subscription-spec.js';
import { mapAuthSecrets } from '../shared/subscriptions/map-secrets.js';
import { openUrl, sealSubscription, sealUrl } from '../shared/subscriptions/seal-subscription.js';
import { isAccountId, isSubscriptionId, newSubscriptionId } from '../shared/subscriptions/subscription-ids.js';
import { transition } from '../shared/subscriptions/subscription-state-machine.js';
import type { SubscriptionEvent } from '../shared/subscriptions/subscription-state-machine.js';
import { initialSigningSecrets, rotateSigningSecrets } from '../shared/subscriptions/signing-secrets.js';
import type { StoredSubscription, Subscription, SubscriptionSource } from '../shared/subscriptions/subscription-types.js';
import { generateSigningSecret } from '../shared/webhook-signature.js';
import type { AlertConfirmationRequests, PendingConfirmation } from './alert-confirmation-requests.js';
import { ApiError } from './api-error.js';
import type { Principal } from './authenticate.js';
import { foreignLandmarkIssues } from './check-landmark-ids.js';
import { checkUrlHost } from './check-url-host.js';
import type { SubscriptionRepository } from './subscription-repository.js';
import { splitAccount } from './split-account.js';
import { toSubscriptionView } from './subscription-view.js';
import { changeVehicleFilter } from './vehicle-filter-change.js';
import type { SubscriptionView } from './subscription-view.js';

export interface SubscriptionServiceDeps {
  readonly repository: SubscriptionRepository;
  readonly box: SecretBox;
  readonly guard: SsrfGuard;
  readonly urlPolicy: UrlPolicy;
  readonly maxSubscriptionsPerAccount: number;
  readonly secretGraceMs: number;
  readonly now: () => Date;
  /** Newly added alert addresses get a confirmation e-mail (through the alerter). */
  readonly confirmations: Pick<AlertConfirmationRequests, 'prepare' | 'send'>;
  /** The account of a landmark (undefined: no such landmark): landmark events may name only the subscription's account's. */
  readonly landmarkOwner: (landmarkId: string) => string | undefined;
}

/** A response that carries a signing secret in full: only on create and on rotation. */
export interface WithSecret {
  readonly subscription: SubscriptionView;
  readonly signingSecret: string;
}

/** The owner's operations on subscriptions (everything except talking to the endpoint). */
export class SubscriptionService {
  constructor(private readonly deps: SubscriptionServiceDeps) {}

  view(stored: StoredSubscription): SubscriptionView {
    return toSubscriptionView(stored, this.deps.box);
  }

  async create(principal: Principal, body: unknown): Promise<WithSecret> {
    const { accountId, rest } = splitAccount(principal, body, 'subscriptions');
    const decoded = decodeSubscriptionCreate(rest);
    if (decoded.kind === 'invalid') throw new ValidationError(decoded.issues);
    this.assertOwnLandmarks(decoded.value.source, accountId);
    await this.assertUrlAllowed(decoded.value.url);
    const { enabled, ...spec } = decoded.value;
    const now = this.deps.now().toISOString();
    const signingSecret = generateSigningSecret();
    const id = newSubscriptionId(this.deps.now());
    const { confirmations, pending } = this.deps.confirmations.prepare(id, undefined, spec.alertEmails, this.deps.now());
    const sub: Subscription = {
      ...spec,
      id,
      accountId,
      state: enabled ? 'pending_verification' : 'paused',
      signing: initialSigningSecrets(signingSecret),
      verifiedAt: null,
      createdAt: now,
      updatedAt: now,
      revision: 1,
      alertEmailConfirmations: confirmations,
    };
    const stored = await this.deps.repository.insert(sealSubscription(this.deps.box, sub), this.deps.maxSubscriptionsPerAccount);
    await this.deps.confirmations.send(stored, pending, this.deps.now());
    return { subscription: this.view(stored), signingSecret };
  }

  async get(principal: Principal, id: string): Promise<StoredSubscription> {
    return this.deps.repository.find(principal, checkId(id));
  }

  async list(principal: Principal, accountFilter: string | null): Promise<StoredSubscription[]> {
    return this.deps.repository.list(principal, accountFilter);
  }

  async patch(principal: Principal, id: string, body: unknown): Promise<StoredSubscription> {
    const decoded = decodeSubscriptionPatch(body);
    if (decoded.kind === 'invalid') throw new ValidationError(decoded.issues);
    if (decoded.value.url !== undefined) await this.assertUrlAllowed(decoded.value.url);
    let pending: PendingConfirmation[] = [];
    const stored = await this.deps.repository.update(principal, checkId(id), (current) => {
      if (decoded.value.source !== undefined) this.assertOwnLandmarks(decoded.value.source, current.accountId);
      const next = this.applyPatch(current, decoded.value);
      if (decoded.value.alertEmails === undefined) return next;
      const plan = this.deps.confirmations.prepare(current.id, current.alertEmailConfirmations, next.alertEmails, this.deps.now());
      pending = plan.pending;
      return { ...next, alertEmailConfirmations: plan.confirmations };
    });
    await this.deps.confirmations.send(stored, pending, this.deps.now());
    return stored;
  }

  async remove(principal: Principal, id: string): Promise<void> {
    await this.deps.repository.remove(principal, checkId(id));
  }

  async pause(principal: Principal, id: string): Promise<StoredSubscription> {
    return this.deps.repository.update(principal, checkId(id), (c) => this.withEvent(c, { kind: 'paused' }));
  }

  async resume(principal: Principal, id: string): Promise<StoredSubscription> {
    return this.deps.repository.update(principal, checkId(id), (c) => this.withEvent(c, { kind: 'resumed', verified: isVerifiedForCurrentUrl(c) }));
  }

  /** Deactivated → active (or pending_verification if its current URL is not verified); any other state is a 409. */
  async reactivate(principal: Principal, id: string): Promise<StoredSubscription> {
    return this.deps.repository.update(principal, checkId(id), (c) => this.withEvent(c, { kind: 'reactivated', verified: isVerifiedForCurrentUrl(c) }));
  }

  /** Adds (`subscribe`) or removes a vehicle of the vehicle filter; idempotent (see changeVehicleFilter). */
  async changeVehicle(principal: Principal, id: string, op: 'subscribe' | 'unsubscribe', vehicleId: string): Promise<StoredSubscription> {
    const first = changeVehicleFilter(null, 'subscribe', vehicleId);
    if (first.kind === 'invalid') throw new ValidationError([first.issue]);
    return this.deps.repository.update(principal, checkId(id), (c) => {
      const change = changeVehicleFilter(c.vehicleFilter, op, vehicleId);
      switch (change.kind) {
        case 'changed':
          return { ...c, vehicleFilter: change.vehicleFilter, updatedAt: this.deps.now().toISOString() };
        case 'unchanged':
          return c;
        case 'invalid':
          throw new ValidationError([change.issue]);
        case 'conflict':
          throw new ApiError('conflict', change.message, 'vehicleFilter');
      }
    });
  }

  async rotateSecret(principal: Principal, id: string): Promise<WithSecret> {
    const signingSecret = generateSigningSecret();
    const stored = await this.deps.repository.update(principal, checkId(id), (c) => {
      const now = this.deps.now();
      const sealed = this.deps.box.seal(signingSecret, `${c.id}/signing.current`);
      // The old current secret becomes `previous`: re-sealed, as its field path is part of the envelope.
      const previous = this.deps.box.seal(this.deps.box.open(c.signing.current, `${c.id}/signing.current`), `${c.id}/signing.previous`);
      const rotated = rotateSigningSecrets(c.signing, sealed, now, this.deps.secretGraceMs);
      return { ...c, signing: { ...rotated, previous }, updatedAt: now.toISOString() };
    });
    return { subscription: this.view(stored), signingSecret };
  }

  /**
   * Records a successful verification (the endpoint proved it holds the secret) — unless
   * the URL changed while the challenge was out: that new endpoint proved nothing.
   */
  async markVerified(principal: Principal, id: string, verifiedUrl: string): Promise<StoredSubscription> {
    return this.deps.repository.update(principal, id, (c) => {
      if (openUrl(this.deps.box, c) !== verifiedUrl) throw new ApiError('conflict', 'the URL changed during verification; verify again', 'url');
      const next = this.withEvent(c, { kind: 'verified' });
      return { ...next, verifiedAt: this.deps.now().toISOString(), updatedAt: this.deps.now().toISOString() };
    });
  }

  private applyPatch(current: StoredSubscription, patch: SpecPatch): StoredSubscription {
    const { enabled, auth, url, ...fields } = patch;
    let next: StoredSubscription = { ...current, ...fields, updatedAt: this.deps.now().toISOString() };
    if (url !== undefined) next = { ...next, ...sealUrl(this.deps.box, current.id, url) };
    if (auth !== undefined) next = { ...next, auth: mapAuthSecrets(auth, (s, field) => this.deps.box.seal(s, `${current.id}/${field}`)) };
    if (url !== undefined && url !== openUrl(this.deps.box, current)) next = { ...this.withEvent(next, { kind: 'url_changed' }), verifiedAt: null };
    if (enabled === false) next = this.withEvent(next, { kind: 'paused' });
    if (enabled === true) next = this.withEvent(next, { kind: 'resumed', verified: isVerifiedForCurrentUrl(next) });
    return next;
  }

  private withEvent(sub: StoredSubscription, event: SubscriptionEvent): StoredSubscription {
    const t = transition(sub.state, event);
    switch (t.kind) {
      case 'moved': {
        const now = this.deps.now().toISOString();
        // Live again after a pause, a deactivation or a (re-)verification: a scheduled subscription starts from here.
        return { ...sub, state: t.to, updatedAt: now, ...(t.to === 'active' && sub.state !== 'failing' ? { liveSince: now } : {}) };
      }
      case 'unchanged':
        return sub;
      case 'rejected':
        throw new ApiError('conflict', t.reason, 'state');
    }
  }

  /**
   * Landmark events naming a landmark that is unknown or another account's: 422
   * unknown_landmark at the first such id's field, the message naming every one. Not a 400:
   * the request matches the schema, it refers to landmarks the account does not have.
   */
  private assertOwnLandmarks(source: SubscriptionSource, accountId: string): void {
    const issues = foreignLandmarkIssues(source, accountId, this.deps.landmarkOwner);
    if (issues.length > 0) throw new ApiError('unknown_landmark', issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues[0]?.field ?? null);
  }

  /** A well-formed URL the operator's rules or the SSRF guard refuse: 422, as no edit of its syntax would help. */
  private async assertUrlAllowed(url: string): Promise<void> {
    const policy = checkUrlPolicy(url, this.deps.urlPolicy);
    if (policy.kind === 'refused') throw new ApiError('url_not_allowed', policy.message, 'url');
    const issue: FieldIssue | null = await checkUrlHost(this.deps.guard, url);
    if (issue) throw new ApiError('url_not_allowed', issue.message, 'url');
  }
}

/** `verifiedAt` is cleared whenever the URL changes (applyPatch), so a set value vouches for the current URL. */
function isVerifiedForCurrentUrl(sub: StoredSubscription): boolean {
  return sub.verifiedAt !== null;
}

function checkId(id: string): string {
  // Not a subscription id at all: say so without quoting what was sent.
  if (!isSubscriptionId(id)) throw new ApiError('not_found', 'no such subscription', 'id');
  return id;
}

/**
 * Operators name the account in the body; an account key may name only its own account
 * (or leave it out): another account is a 403.
 */
