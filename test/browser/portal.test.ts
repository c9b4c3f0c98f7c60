import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminApp } from '../../services/admin-api/admin-app.js';
import { challengeResponse } from '../../services/shared/webhook-signature.js';
import { accountKeys, AdminApiHarness, operatorKey } from '../helpers/admin-api-harness.js';
import { stackEnv } from '../helpers/stack-env.js';
import { behaviours, WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * The Webhook Manager in Debian's chromium (driven by playwright-core through its
 * executable path; nothing is downloaded), against an admin API on the real stack and a
 * real endpoint. One page walks the owner's path; screenshots land in test/browser/artifacts/.
 */
const executablePath = process.env.FLEETHOOK_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = path.join(import.meta.dirname, 'artifacts');
const axeSource = readFileSync(path.join(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');

let h: AdminApiHarness;
let app: AdminApp;
let receiver: WebhookReceiver;
let browser: Browser;
let page: Page;
/** Console errors, failed scripts and CSP refusals of the page: any is a failure. */
const problems: string[] = [];
let secret = '';
let subscriptionId = '';

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(`chromium not found at ${executablePath}: install Debian's package (apt-get install chromium; .ci/run does) — this test never skips`);
  }
  mkdirSync(artifacts, { recursive: true });
  h = await AdminApiHarness.create();
  app = await h.startInstance({ FLEETHOOK_REDIS_URL: stackEnv.redisUrl });
  receiver = await WebhookReceiver.start();
  // Root in CI containers: chromium's sandbox needs user namespaces it may not have.
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  page = await openPage();
});

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await h?.close();
});

async function openPage(): Promise<Page> {
  const p = await (await browser.newContext()).newPage();
  // The API's refusals (a bad key, a validation error) are expected; anything else logged as an error is not.
  p.on('console', (m) => void (m.type() === 'error' && !/status of 40[01] /.test(m.text()) && problems.push(`console: ${m.text()}`)));
  p.on('response', (r) => void (r.url().includes('/portal/') && r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`)));
  p.on('pageerror', (e) => void problems.push(`page error: ${e.message}`));
  await p.goto(`http://127.0.0.1:${app.port}/portal/`);
  return p;
}

async function shot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

/** axe-core in the page (evaluate is not subject to the page's CSP); serious and critical violations only. */
async function seriousViolations(p: Page = page): Promise<string[]> {
  await p.evaluate(axeSource);
  const result = await p.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }> } }).axe;
    return (await axe.run(document)).violations;
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}

async function signIn(p: Page, key: string): Promise<void> {
  await p.getByLabel('API key').fill(key);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

describe('Webhook Manager in a real browser', () => {
  it('refuses a bad key beside the field, then signs in with the account key', async () => {
    // The accessibility check can fail: an unlabelled field and an image without text are caught.
    const probe = await browser.newPage();
    await probe.setContent('<!doctype html><html lang="en"><title>x</title><main><input type="text"><img src="x.png"></main></html>');
    expect((await seriousViolations(probe)).map((v) => v.split(':')[0]).sort()).toEqual(['image-alt', 'label']);
    await probe.close();
    expect(await seriousViolations()).toEqual([]);
    await shot('01-sign-in');
    await signIn(page, 'not-a-key-0123456789');
    await expect.poll(() => page.locator('#api-key-error').textContent()).toBe('This key was refused.');
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    // By keyboard: the field keeps focus after a refusal, Enter submits.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(accountKeys.acc_alpha);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#grid-status').textContent()).toBe('No subscriptions yet.');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('creates a subscription to a local endpoint: the example follows the choices, API errors show beside their field, the secret shows once', async () => {
    await page.getByRole('button', { name: 'New subscription' }).click();
    await expect.poll(() => page.locator('#example-headers').textContent()).toContain('webhook-signature: v1,');
    expect(await page.locator('#example-body').textContent()).toContain('"type": "gps"');
    await page.getByLabel('Content type').selectOption('application/x-www-form-urlencoded');
    await expect.poll(() => page.locator('#example-body').textContent()).toMatch(/^id=msg_.*&type=gps&/);
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Name', { exact: true }).fill('portal test');
    await page.getByLabel('Most items per request').fill('999999');
    await page.getByLabel('Longest wait before sending (ms)').fill('1000');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await expect.poll(() => page.locator('#f-max-items-error').textContent()).toMatch(/\S/);
    expect(await page.getByLabel('Most items per request').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-max-items');
    expect(await seriousViolations()).toEqual([]);
    await shot('02-create-with-error');
    await page.getByLabel('Most items per request').fill('50');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.locator('#secret-once').waitFor({ state: 'visible' });
    secret = (await page.locator('#secret-value').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await shot('03-secret-once');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.content()).not.toContain(secret.slice(6));
    subscriptionId = (await page.locator('[data-fact="ID"]').textContent()) ?? '';
    expect(subscriptionId).toMatch(/^sub_/);
    await expect.poll(() => page.locator(`#grid tr[data-id="${subscriptionId}"] .badge`).textContent()).toBe('pending verification');
  });

  it('verifies: a failing endpoint shows its reason, then the endpoint answers the challenge', async () => {
    receiver.behave(behaviours.status(500));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.locator('#action-result').textContent()).toBe('Verification failed: status — the endpoint answered status 500; expected 2xx');
    await shot('04-verify-failed');
    receiver.behave(behaviours.custom((req) => ({ status: 200, body: JSON.stringify({ challengeResponse: challengeResponse(secret, (JSON.parse(req.text) as { challenge: string }).challenge) }) })));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.locator('#action-result').textContent()).toMatch(/^Verified \(status 200/);
    await expect.poll(() => page.locator(`#grid tr[data-id="${subscriptionId}"] .badge`).textContent()).toBe('active');
  });

  it('sends a test event and sees it arrive in the live feed, body on click', async () => {
    receiver.behave(behaviours.ok());
    await page.getByRole('button', { name: 'Start live feed' }).click();
    await expect.poll(() => page.locator('#feed-status').textContent()).toBe('Live: waiting for requests…');
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => page.locator('#action-result').textContent()).toMatch(/^Test event msg_\w+ delivered: status 200/);
    const webhookId = /msg_\w+/.exec((await page.locator('#action-result').textContent()) ?? '')?.[0] ?? '';
    const row = page.locator(`#feed tr[data-webhook-id="${webhookId}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('td').nth(3).textContent()).toBe('200');
    await row.getByRole('button').click();
    const body = (await page.locator('#feed-body').textContent()) ?? '';
    // Created as form-encoded above: the body as the endpoint got it.
    expect(body).toContain(`id=${webhookId}&type=gps&`);
    expect(body).toContain('&mode=test&');
    expect(receiver.requests.at(-1)?.headers['webhook-id']).toBe(webhookId);
    expect(await seriousViolations()).toEqual([]);
    await shot('05-live-feed');
    await page.getByRole('button', { name: 'Stop live feed' }).click();
  });

  it('pauses and sees the state change, then rotates the secret (shown once)', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.locator('#action-result').textContent()).toBe('Paused.');
    await expect.poll(() => page.locator(`#grid tr[data-id="${subscriptionId}"] .badge`).textContent()).toBe('paused');
    await expect.poll(() => page.locator('[data-fact="State"]').textContent()).toBe('paused');
    await shot('06-paused');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.locator('#secret-once').waitFor({ state: 'visible' });
    const rotated = (await page.locator('#secret-value').textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.content()).not.toContain(rotated.slice(6));
    expect(await page.locator('[data-fact="Signing secret"]').textContent()).toMatch(/^\*{4}/);
  });

  it('edits: only what changed is sent, and the grid shows it', async () => {
    await page.getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByLabel('Endpoint URL').inputValue()).toBe(receiver.url);
    await page.getByLabel('Name', { exact: true }).fill('portal test 2');
    await page.getByLabel('Retry policy').selectOption('pause-24h');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator(`#grid tr[data-id="${subscriptionId}"] td`).nth(1).textContent()).toBe('portal test 2');
    expect((await h.call(app, 'GET', `/v1/subscriptions/${subscriptionId}`)).json).toMatchObject({ name: 'portal test 2', retryPolicy: 'pause-24h', state: 'paused', url: receiver.url });
  });

  it('edits event parameters as the API holds them: mph stays mph, idle minutes, one landmark for landmark_change', async () => {
    const landmark = async (name: string): Promise<string> => {
      const r = await h.call(app, 'POST', '/v1/landmarks', { body: { name, shape: { type: 'circle', center: { lat: 52.5, lon: 13.4 }, radiusM: 100 } } });
      expect(r.status).toBe(201);
      return (r.json as { id: string }).id;
    };
    const [yard] = [await landmark('yard'), await landmark('port')];
    await page.getByRole('button', { name: 'New subscription' }).click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Name', { exact: true }).fill('events');
    await page.getByLabel('Kind').selectOption('event');
    for (const type of ['speeding', 'idle', 'landmark_change']) await page.getByLabel(type, { exact: true }).check();
    await page.getByLabel('Units of the speeding threshold').selectOption('mph');
    // Out of range for mph (at most 250) and below 1 minute: each refusal beside its own field.
    await page.getByLabel('Speeding threshold (speeding)').fill('300');
    await page.getByLabel('Idle: at least this many minutes').fill('0');
    await page.getByLabel('Landmarks for landmark_change').selectOption(yard);
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await expect.poll(() => page.locator('#f-threshold-error').textContent()).toMatch(/\S/);
    expect(await page.locator('#f-idle-minutes-error').textContent()).toMatch(/\S/);
    expect(await page.getByLabel('Idle: at least this many minutes').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Speeding threshold (speeding)').fill('55');
    await page.getByLabel('Idle: at least this many minutes').fill('10');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.locator('#secret-once').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const id = (await page.locator('[data-fact="ID"]').textContent()) ?? '';
    const stored = [{ type: 'speeding', threshold: 55, units: 'mph' }, { type: 'idle', minutes: 10 }, { type: 'landmark_change', landmarkIds: [yard] }];
    const source = async (): Promise<unknown> => ((await h.call(app, 'GET', `/v1/subscriptions/${id}`)).json as { source: unknown }).source;
    expect(await source()).toEqual({ kind: 'event', eventTypes: stored });
    // A fresh page (the key stays in the tab): the form shows what the API holds.
    await page.reload();
    await page.locator(`#grid tr[data-id="${id}"]`).getByRole('button', { name: 'Open events' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByLabel('Speeding threshold (speeding)').inputValue()).toBe('55');
    expect(await page.getByLabel('Units of the speeding threshold').inputValue()).toBe('mph');
    expect(await page.getByLabel('Idle: at least this many minutes').inputValue()).toBe('10');
    expect(await page.getByLabel('Landmarks for landmark_change').evaluate((s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value))).toEqual([yard]);
    expect(await page.getByLabel('Landmarks for landmark_enter').isVisible()).toBe(false);
    expect(await seriousViolations()).toEqual([]);
    await shot('07-edit-event-parameters');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator('#form-summary').textContent()).toBe('Nothing changed.');
    await page.getByLabel('Name', { exact: true }).fill('events 2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator(`#grid tr[data-id="${id}"] td`).nth(1).textContent()).toBe('events 2');
    expect(await source()).toEqual({ kind: 'event', eventTypes: stored });
    expect((await h.call(app, 'DELETE', `/v1/subscriptions/${id}`)).status).toBe(204);
  });

  it('lists, creates and deletes landmarks', async () => {
    await page.getByRole('button', { name: 'Landmarks' }).click();
    await page.getByLabel('Landmark name').fill('depot');
    await page.getByLabel('Radius (m)').fill('-5');
    await page.getByRole('button', { name: 'Add landmark' }).click();
    await expect.poll(() => page.locator('#lm-radius-error').textContent()).toMatch(/\S/);
    await page.getByLabel('Radius (m)').fill('300');
    await page.getByRole('button', { name: 'Add landmark' }).click();
    await page.getByRole('button', { name: 'Delete landmark depot' }).waitFor();
    expect(await seriousViolations()).toEqual([]);
    await shot('08-landmarks');
    await page.getByRole('button', { name: 'Delete landmark depot' }).click();
    await expect.poll(() => page.locator('#landmark-result').textContent()).toBe('Deleted depot.');
    await page.getByRole('button', { name: 'Subscriptions' }).click();
  });

  it("a second account's key sees none of it; the operator key sees it", async () => {
    const other = await openPage();
    await signIn(other, accountKeys.acc_beta);
    await expect.poll(() => other.locator('#grid-status').textContent()).toBe('No subscriptions yet.');
    expect(await other.content()).not.toContain(subscriptionId);
    await shot('09-other-account', other);
    await other.context().close();
    const operator = await openPage();
    await signIn(operator, operatorKey);
    await operator.locator(`#grid tr[data-id="${subscriptionId}"]`).waitFor();
    await operator.context().close();
  });

  it('deletes after a confirmation, and the page caused no console error or CSP refusal', async () => {
    await page.locator(`#grid tr[data-id="${subscriptionId}"]`).getByRole('button', { name: 'Open portal test 2' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    // The confirmation takes focus on its safe choice.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-delete-no');
    await page.keyboard.press('Enter');
    expect(await page.locator(`#grid tr[data-id="${subscriptionId}"]`).count()).toBe(1);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await shot('10-confirm-delete');
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await expect.poll(() => page.locator('#grid-status').textContent()).toBe('No subscriptions yet.');
    expect((await h.call(app, 'GET', `/v1/subscriptions/${subscriptionId}`)).status).toBe(404);
    expect(problems).toEqual([]);
  });
});
