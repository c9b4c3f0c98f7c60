import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFailureEvent } from '../../schemas/failure-event.js';
import type { FailureEvent } from '../../schemas/failure-event.js';
import { startAlerterApp } from '../../services/alerter/alerter-app.js';
import type { AlerterApp } from '../../services/alerter/alerter-app.js';
import { loadConfig } from '../../services/alerter/config.js';
import { createSmtpMailer } from '../../services/alerter/smtp-mailer.js';
import { createLogger } from '../../services/shared/logger.js';
import type { Subscription } from '../../services/shared/subscriptions/subscription-types.js';
import type { SinkMessage } from '../../stack/smtp-message-store.js';
import { DispatcherHarness, gpsPoint } from '../helpers/dispatcher-harness.js';
import { SmtpSinkClient } from '../helpers/smtp-sink-client.js';
import { stackEnv } from '../helpers/stack-env.js';
import { readTopic } from '../helpers/topic-reader.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, behaviours } from '../helpers/webhook-receiver.js';
import { kafkaClientOf } from '../../services/shared/kafka/kafkajs-adapter.js';

/** 7 days in about 16 s, as in parking-recovery.test.ts: the 2-day tier waits ~4.6 s. */
const timeScale = 16_000 / (7 * 24 * 3_600_000);
const weekMs = 7 * 24 * 3_600_000 * timeScale;
/**
 * Reminders on their own wall clock, not the dispatcher's compressed one: 7 s puts the
 * slots of the compressed week at 7 s and 14 s, ~2 s clear of the deactivation at 16 s, and
 * leaves the short failing run (recovered within ~5 s) without any reminder.
 */
const reminderIntervalMs = 7_000;

const sink = new SmtpSinkClient();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const subjects = (ms: readonly SinkMessage[]): string[] => ms.map((m) => m.subject);
/** How the e-mails show a time: `2026-05-04 10:15 UTC`. */
const minuteUtc = (iso: string | null): string => `${(iso ?? '').slice(0, 16).replace('T', ' ')} UTC`;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function failureEvents(h: DispatcherHarness, subscriptionId: string): Promise<FailureEvent[]> {
  const records = await readTopic(h.kafka, h.topics.get('webhook.failures').name);
  return records.filter((r) => r.key === subscriptionId).map((r) => {
    const d = decodeFailureEvent(r.value);
    if (d.kind !== 'ok') throw new Error(`bad failure event: ${d.reason}`);
    return d.event;
  });
}

/** An endpoint URL with user info and a secret-looking query value, and the pieces that must never reach an e-mail. */
function urlWithCredentials(port: number): { url: string; shown: string; secrets: string[] } {
  const tag = randomBytes(6).toString('hex');
  const user = `hookuser${tag}`;
  const password = `hookpw${tag}`;
  const token = `hooktoken${tag}`;
  return {
    url: `http://${user}:${password}@127.0.0.1:${port}/hook?token=${token}`,
    shown: `http://127.0.0.1:${port}/hook?token=***`,
    secrets: [user, password, token],
  };
}

/** The signing secret whole and its key part (`whsec_<base64>`). */
function signingSecretsOf(sub: Subscription): string[] {
  const current = sub.signing.current;
  return [current, current.replace(/^whsec_/, '')];
}

describe('alerter e-mails owners from the real pipeline: dispatcher → webhook.failures → alerter → SMTP (7 days in ~16 s)', () => {
  let h: DispatcherHarness;
  let alerter: AlerterApp | undefined;
  const alerterLog: string[] = [];
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await DispatcherHarness.create({ FLEETHOOK_DISPATCHER_RETRY_TIME_SCALE: String(timeScale) });
    // Same topic prefix as the dispatcher, so the alerter reads the harness's webhook.failures.
    const config = loadConfig({
      FLEETHOOK_KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      FLEETHOOK_REDIS_URL: stackEnv.redisUrl,
      FLEETHOOK_REDIS_KEY_PREFIX: h.env.FLEETHOOK_REDIS_KEY_PREFIX,
      FLEETHOOK_TOPIC_PREFIX: h.prefix,
      FLEETHOOK_ALERTER_GROUP_ID: `${h.prefix}alerter`,
      FLEETHOOK_ALERTER_HOST: '127.0.0.1',
      FLEETHOOK_ALERTER_PORT: '0',
      FLEETHOOK_ALERTER_SMTP_PORT: '11025',
      FLEETHOOK_ALERTER_SMTP_CONNECTION_TIMEOUT_MS: '2000',
      FLEETHOOK_ALERTER_SMTP_SOCKET_TIMEOUT_MS: '5000',
      FLEETHOOK_ALERTER_CLAIM_TTL_MS: '10000',
      FLEETHOOK_ALERTER_RETRY_MIN_MS: '200',
      FLEETHOOK_ALERTER_RETRY_MAX_MS: '1000',
      FLEETHOOK_ALERTER_SESSION_TIMEOUT_MS: '8000',
      FLEETHOOK_ALERTER_SHUTDOWN_GRACE_MS: '1000',
      FLEETHOOK_ALERTER_REMINDER_INTERVAL_MS: String(reminderIntervalMs),
      FLEETHOOK_ALERTER_REMINDER_CHECK_MS: '100',
      FLEETHOOK_ALERTER_LOG_LEVEL: 'warn',
      // The harness writes subscriptions straight to the catalogue topic, not through the admin
      // API, so no address was ever asked: the documented operator setting sends to all of them.
      FLEETHOOK_ALERTER_REQUIRE_CONFIRMATION: 'false',
    });
    const logger = createLogger('alerter', { level: config.logLevel, write: (l) => alerterLog.push(l) });
    alerter = await startAlerterApp({ config, kafka: kafkaClientOf(h.kafka), mailer: createSmtpMailer(config.smtp), logger });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${alerter?.port}/readyz`)).status === 200, { timeoutMs: 30_000, intervalMs: 200, what: 'the alerter to join its group' });
    await h.startInProcess();
  });

  afterAll(async () => {
    if (process.env.DEBUG_DISPATCHER) console.log([...h.logLines, ...alerterLog].join('\n'));
    await alerter?.close();
    await h?.close();
    await Promise.all(receivers.map((r) => r.close()));
    if (h === undefined) return;
    const admin = h.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([`${h.prefix}alerter`, `${h.prefix}alerter-confirmations`, `${h.prefix}dispatcher`]).catch(() => undefined);
    await admin.disconnect();
    const redis = new Redis(stackEnv.redisUrl);
    const keys = await redis.keys(`${h.env.FLEETHOOK_REDIS_KEY_PREFIX ?? '-'}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('a parked-then-recovered subscription gets one failing alert and one recovery notice; one dead for the compressed week gets its reminders and a deactivation notice with the discarded count; no e-mail carries a secret', async () => {
    const address = (local: string): string => `${local}-${h.prefix.slice(0, -1)}@example.test`;
    const startedAtMs = Date.now();

    // A: down until the owner has the first alert, then up.
    let down = true;
    const acceptedA: string[] = [];
    const flaky = await WebhookReceiver.start(behaviours.custom((req) => {
      if (down) return { status: 503, body: 'maintenance' };
      acceptedA.push(req.text);
      return { status: 200 };
    }));
    // B: down for good.
    const dead = await WebhookReceiver.start(behaviours.status(500, 'broken'));
    receivers.push(flaky, dead);
    const urlA = urlWithCredentials(flaky.port);
    const urlB = urlWithCredentials(dead.port);
    const ownerA = address('owner-a');
    const ownersB = [address('owner-b1'), address('owner-b2')];
    const subA = await h.subscribe({ url: urlA.url, accountId: 'acc_alert_a', name: 'Fleet GPS A', alertEmails: [ownerA], batching: { maxItems: 10, maxWaitMs: 200 } });
    const subB = await h.subscribe({ url: urlB.url, accountId: 'acc_alert_b', name: 'Fleet GPS B', alertEmails: ownersB, batching: { maxItems: 10, maxWaitMs: 200 } });
    const publishedB = 23;
    await h.publish({ gps: Array.from({ length: publishedB }, (_, i) => gpsPoint(i % 2 === 0 ? 'veh_b1' : 'veh_b2', i + 1, 'acc_alert_b')) });
    await h.publish({ gps: [1, 2, 3, 4, 5].map((s) => gpsPoint('veh_a1', s, 'acc_alert_a')) });

    // A: first alert, then the endpoint comes back and the owner hears it recovered.
    const firstA = await sink.waitFor(ownerA, (ms) => ms.length >= 1, 'the first alert for A', 20_000);
    down = false;
    const mailA = await sink.waitFor(ownerA, (ms) => ms.some((m) => m.subject.includes('recovered')), 'the recovery notice for A', 20_000);
    expect(subjects(mailA)).toEqual([
      expect.stringContaining('[fleethook] Webhook "Fleet GPS A" is failing — deliveries paused since'),
      '[fleethook] Webhook "Fleet GPS A" recovered — deliveries resumed',
    ]);
    const eventsA = await failureEvents(h, subA.id);
    // By kind, not position: under compressed time the first retry's still_failing can reach the
    // topic before parked (the dispatcher writes the retry ticket before it emits parked).
    const parkedA = eventsA.find((e) => e.kind === 'parked');
    expect(eventsA.filter((e) => e.kind === 'parked')).toHaveLength(1);
    expect(eventsA.at(-1)?.kind).toBe('recovered');
    const alertA = firstA[0];
    expect(alertA?.subject).toContain(`since ${minuteUtc(parkedA?.firstFailureAt ?? null)}`);
    expect(alertA?.text).toContain(`Fleet GPS A (${subA.id})`);
    expect(alertA?.text).toMatch(new RegExp(`Endpoint:\\s+${escapeRe(urlA.shown)}\\n`));
    expect(alertA?.text).toMatch(/Last error:\s+endpoint answered 503/);
    expect(alertA?.text).toMatch(new RegExp(`Failing since:\\s+${escapeRe(minuteUtc(parkedA?.firstFailureAt ?? null))}`));
    expect(alertA?.text).toMatch(new RegExp(`Next retry:\\s+${escapeRe(minuteUtc(parkedA?.nextRetryAt ?? null))}`));
    expect(alertA?.html).toContain(urlA.shown);
    expect(mailA[1]?.text).toContain(`Fleet GPS A (${subA.id})`);
    expect(mailA[1]?.text).toMatch(new RegExp(`Endpoint:\\s+${escapeRe(urlA.shown)}\\n`));
    // The times are the real ones: the failures began after the test started, the next retry after that.
    const firstFailureA = Date.parse(parkedA?.firstFailureAt ?? '');
    expect(firstFailureA).toBeGreaterThanOrEqual(startedAtMs - 1_000);
    expect(firstFailureA).toBeLessThanOrEqual(Date.parse(alertA?.receivedAt ?? ''));
    expect(Date.parse(parkedA?.nextRetryAt ?? '')).toBeGreaterThan(firstFailureA);
    // The recovery notice tells the truth: the endpoint got the data.
    await waitFor(() => acceptedA.some((t) => t.includes('"veh_a1"')), { what: 'A delivered again' });

    // B: failing alert, a reminder per 7 s slot of the compressed week, then the deactivation notice.
    const mailB1 = await sink.waitFor(ownersB[0] ?? '', (ms) => ms.some((m) => m.subject.includes('deactivated')), 'the deactivation notice for B', 40_000);
    const eventsB = await failureEvents(h, subB.id);
    const parkedB = eventsB.find((e) => e.kind === 'parked');
    const deactivatedB = eventsB.at(-1);
    expect(eventsB.filter((e) => e.kind === 'parked')).toHaveLength(1);
    expect(deactivatedB?.kind).toBe('deactivated');
    expect(deactivatedB?.discarded?.items).toBe(publishedB);
    const anchorMs = Date.parse(parkedB?.firstFailureAt ?? '');
    const deactivatedAtMs = Date.parse(deactivatedB?.at ?? '');
    expect(deactivatedAtMs - anchorMs).toBeGreaterThanOrEqual(weekMs - 50);

    // Wait past the next reminder slot: nothing more may arrive after the deactivation, for B or for A.
    const lastSlot = Math.floor((Date.parse(mailB1.at(-1)?.receivedAt ?? '') - anchorMs) / reminderIntervalMs);
    await sleep(Math.max(0, anchorMs + (lastSlot + 1) * reminderIntervalMs + 1_000 - Date.now()));

    const notice = `[fleethook] Webhook "Fleet GPS B" deactivated — ${publishedB} undelivered items discarded`;
    for (const to of ownersB) {
      const ms = await sink.messages(to);
      const reminders = ms.filter((m) => m.subject.includes('Reminder'));
      // README: reminder n at firstFailureAt + n × interval while failing; none once deactivated.
      const due = Math.floor((deactivatedAtMs - anchorMs) / reminderIntervalMs);
      const atMost = Math.floor((Date.parse(ms.find((m) => m.subject === notice)?.receivedAt ?? '') - anchorMs) / reminderIntervalMs);
      const numbers = reminders.map((m) => Number(/reminder (\d+)/.exec(m.text)?.[1]));
      expect(numbers, subjects(ms).join('\n')).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
      expect(numbers.length).toBeGreaterThanOrEqual(due);
      expect(numbers.length).toBeLessThanOrEqual(atMost);
      expect(due).toBe(2);
      reminders.forEach((m, i) => expect(Math.abs(Date.parse(m.receivedAt) - (anchorMs + (i + 1) * reminderIntervalMs))).toBeLessThan(1_500));
      expect(subjects(ms)).toEqual([
        expect.stringContaining('[fleethook] Webhook "Fleet GPS B" is failing — deliveries paused since'),
        ...reminders.map(() => expect.stringContaining('[fleethook] Reminder: Webhook "Fleet GPS B" still failing since')),
        notice,
      ]);
      const deactivation = ms.at(-1);
      expect(deactivation?.text).toContain(`${publishedB} items, written to ${h.topics.get('webhook.audit').name}`);
      expect(deactivation?.text).toMatch(new RegExp(`Endpoint:\\s+${escapeRe(urlB.shown)}\\n`));
      expect(deactivation?.text).toMatch(/Last error:\s+endpoint answered 500/);
      expect(deactivation?.text).toContain(`Fleet GPS B (${subB.id})`);
    }
    expect(subjects(await sink.messages(ownerA))).toEqual(subjects(mailA));

    // No secret reaches an e-mail (nor the failure events it is built from).
    const everything = [...(await sink.messages(ownerA)), ...(await sink.messages(ownersB[0] ?? '')), ...(await sink.messages(ownersB[1] ?? ''))];
    const secrets = [...urlA.secrets, ...urlB.secrets, ...signingSecretsOf(subA), ...signingSecretsOf(subB)];
    for (const m of everything) {
      const whole = JSON.stringify(m);
      for (const s of secrets) expect(whole.includes(s), `${s} in "${m.subject}"`).toBe(false);
    }
    for (const e of [...eventsA, ...eventsB]) {
      const whole = JSON.stringify(e);
      for (const s of secrets) expect(whole.includes(s), `${s} in ${e.kind} event`).toBe(false);
    }
    // The dispatcher did call the userinfo URLs (it does not reject them; the admin API does).
    expect(flaky.requests.length).toBeGreaterThan(0);
    expect(dead.requests.length).toBeGreaterThan(0);
  }, 60_000);
});
