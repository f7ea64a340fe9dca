// (h) Stripe mode, fully offline: the browser glue (public/stripe-setup.js,
// public/stripe-pay.js) with Stripe's Payment Element.
//
// beforeAll starts
//  - a local stand-in for Stripe's API (./stripe-mock.ts), and
//  - a second Relance server (same binary, fresh SQLite database with the
//    demo data) in Stripe mode, whose API base is that stand-in.
// In the browser, https://js.stripe.com/v3/ is a fake Stripe.js
// (./fixtures/fake-stripe-v3.js) whose calls to https://api.stripe.com are
// routed to the same stand-in, so the Relance server then finds the intents
// confirmed by the browser. Any other request off this machine is aborted
// and fails the test.

import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PORTAL_HOME, USERS, login } from './helpers';
import { PUBLISHABLE_KEY, SECRET_KEY, StripeMock, WEBHOOK_SECRET, array, field, type Recorded } from './stripe-mock';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.RELANCE_E2E_BIN ?? path.join(ROOT, 'target', 'debug', 'relance');
const SITE_ROOT = process.env.RELANCE_E2E_SITE_ROOT ?? path.join(ROOT, 'target', 'site');
const FAKE_STRIPE_JS = path.join(__dirname, 'fixtures', 'fake-stripe-v3.js');

const RECEIPT_PATH = /\/portal\/payments\/(\d+)$/;
/** A zero amount in either locale ("0,00 €", "€0.00"). */
const ZERO_AMOUNT = /^[^\d]*0[,.]00[^\d]*$/;
const SUCCEEDED_TEXT = /^\s*(Réussi|Succeeded)\s*$/;
const NEEDS_ACTION_TEXT = /^\s*(Authentification requise|Needs authentication)\s*$/;
const FAILED_TEXT = /^\s*(Échoué|Failed)\s*$/;

// ---------------------------------------------------------------------------
// The second server.

class RelanceServer {
  url = '';
  private proc: ChildProcess | undefined;
  private dir = '';
  private log = '';
  private readonly killOnExit = () => this.proc?.kill('SIGKILL');

  async start(stripeApiBase: string): Promise<void> {
    if (!existsSync(BIN)) throw new Error(`no Relance binary at ${BIN} (set RELANCE_E2E_BIN; scripts/e2e.sh does)`);
    if (!existsSync(path.join(SITE_ROOT, 'pkg'))) throw new Error(`no built site in ${SITE_ROOT} (set RELANCE_E2E_SITE_ROOT)`);
    this.dir = await mkdtemp(path.join(process.env.TMPDIR ?? tmpdir(), 'relance-stripe-e2e.'));
    this.log = path.join(this.dir, 'server.log');
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;

    // As scripts/lib/fresh-server.sh starts the sandbox server, plus Stripe.
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!/^(RELANCE_|LEPTOS_|DATABASE_URL$|RUST_LOG$)/.test(k)) env[k] = v;
    }
    Object.assign(env, {
      DATABASE_URL: `sqlite://${this.dir}/stripe.db`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: SITE_ROOT,
      RELANCE_PUBLIC_URL: this.url,
      RELANCE_DATA_DIR: this.dir,
      RELANCE_JWT_SECRET: randomBytes(32).toString('hex'),
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      RELANCE_STRIPE_SECRET_KEY: SECRET_KEY,
      RELANCE_STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
      RELANCE_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      RELANCE_STRIPE_API_BASE: stripeApiBase,
    });
    const out = openSync(this.log, 'a');
    try {
      this.proc = spawn(BIN, ['serve'], { cwd: this.dir, env, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    process.once('exit', this.killOnExit);

    // The first start runs the migrations and seeds the demo data.
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`the Stripe-mode server exited during start-up:\n${await this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${this.url}/healthz did not answer in 120 s:\n${await this.logTail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async logTail(lines = 60): Promise<string> {
    try {
      return (await readFile(this.log, 'utf8')).split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** TERM, then KILL after 5 s; removes the temporary directory. */
  async stop(failed: boolean): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    process.removeListener('exit', this.killOnExit);
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (failed) {
      console.log(`---- Stripe-mode server log (${this.log}) ----\n${await this.logTail()}\n---- end ----`);
    }
    if (this.dir && !failed && process.env.RELANCE_E2E_KEEP !== '1') {
      await rm(this.dir, { recursive: true, force: true });
    } else if (this.dir) {
      console.log(`kept ${this.dir}`);
    }
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const mock = new StripeMock();
const relance = new RelanceServer();
let fakeStripeJs = '';
let anyFailed = false;

// ---------------------------------------------------------------------------
// A browser context on the Stripe-mode server, offline.

interface Session {
  context: BrowserContext;
  page: Page;
  /** Script errors, console errors, requests that tried to leave the machine. */
  problems: string[];
  /** Every request the browser sent to the Relance server, with its body. */
  toRelance: string[];
}

async function openSession(browser: Browser): Promise<Session> {
  const context = await browser.newContext({ baseURL: relance.url, locale: 'fr-FR' });
  const problems: string[] = [];
  const toRelance: string[] = [];
  const allowed = new Set(['127.0.0.1', 'js.stripe.com', 'api.stripe.com']);
  await context.route(
    (url) => !allowed.has(url.hostname),
    (route) => {
      problems.push(`request off this machine: ${route.request().url()}`);
      return route.abort();
    },
  );
  await context.route('https://js.stripe.com/v3/**', (route) =>
    route.fulfill({ status: 200, contentType: 'application/javascript; charset=utf-8', body: fakeStripeJs }),
  );
  await context.route('https://api.stripe.com/**', async (route) => {
    const req = route.request();
    const cors = { 'access-control-allow-origin': req.headers()['origin'] ?? '*', vary: 'Origin' };
    if (req.method() === 'OPTIONS') {
      problems.push(`unexpected CORS preflight to ${req.url()}`);
      return route.fulfill({ status: 204, headers: { ...cors, 'access-control-allow-methods': 'GET, POST' } });
    }
    const url = new URL(req.url());
    const [status, body] = mock.handle(req.method(), url.pathname + url.search, req.headers(), req.postData() ?? '');
    return route.fulfill({ status, contentType: 'application/json', headers: cors, body });
  });
  context.on('request', (req) => {
    if (req.url().startsWith(relance.url)) toRelance.push(`${req.method()} ${req.url()} ${req.postData() ?? ''}`);
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return { context, page, problems, toRelance };
}

/** The calls the fake Stripe.js recorded on the current page. */
async function stripeCalls(page: Page): Promise<Record<string, unknown>[]> {
  return page.evaluate(() => (window as unknown as { __fakeStripe?: { calls: Record<string, unknown>[] } }).__fakeStripe?.calls ?? []);
}

function last(recs: Recorded[], what: string): Recorded {
  expect(recs.length, what).toBeGreaterThan(0);
  return recs[recs.length - 1];
}

async function firstOpenInvoice(page: Page): Promise<{ id: string; number: string }> {
  await page.goto(PORTAL_HOME);
  const box = page.getByTestId('pay-box').locator('input[type="checkbox"][name="inv"]').first();
  await expect(box).toBeAttached();
  const id = (await box.getAttribute('value')) ?? '';
  const number = ((await box.getAttribute('data-testid')) ?? '').replace(/^select-/, '');
  expect(id).toMatch(/^\d+$/);
  return { id, number };
}

async function amountDue(page: Page, id: string): Promise<string> {
  await page.goto(`/portal/invoices/${id}`);
  const due = page.getByTestId('amount-due');
  await expect(due).toHaveText(/\d/);
  return ((await due.textContent()) ?? '').trim();
}

async function balanceDue(page: Page): Promise<string> {
  await page.goto(PORTAL_HOME);
  const big = page.getByTestId('balance-due').locator('.big');
  await expect(big).toHaveText(/\d/);
  return ((await big.textContent()) ?? '').trim();
}

/**
 * From the invoice page: "Pay this invoice", choose "A new card or SEPA
 * debit" and submit. Returns the payment id, the plan's total (as shown and
 * in minor units).
 */
async function startPaymentElementPayment(page: Page, inv: { id: string; number: string }) {
  await page.goto(`/portal/invoices/${inv.id}`);
  await page.getByTestId('pay-invoice').click();
  await page.waitForURL((url) => url.pathname === '/portal/pay');
  await expect(page.getByTestId('pay-plan')).toContainText(inv.number);
  const total = ((await page.getByTestId('pay-total').textContent()) ?? '').trim();
  const form = page.getByTestId('pay-form');
  const minor = await form.locator('input[name="expected_total"]').inputValue();
  // In Stripe mode our own card fields are gone: only Stripe's form takes a card.
  await expect(form.getByTestId('card-number')).toHaveCount(0);
  const choice = form.locator('label.choice').filter({ has: page.getByTestId('method-new') });
  await expect(choice).toContainText(/Une nouvelle carte ou un prélèvement SEPA|A new card or SEPA debit/);
  await form.getByTestId('method-new').check();
  await page.waitForLoadState('networkidle');
  await form.getByTestId('pay-submit').click();

  await page.waitForURL(RECEIPT_PATH);
  const paymentId = Number(RECEIPT_PATH.exec(new URL(page.url()).pathname)![1]);
  return { paymentId, total, minor };
}

/** The PaymentIntent the Relance server created for a payment. */
function intentOf(paymentId: number): string {
  const create = mock
    .find('POST', '/v1/payment_intents')
    .filter((r) => field(r, 'metadata[relance_payment_id]') === String(paymentId));
  expect(create, `one PaymentIntent created for payment ${paymentId}`).toHaveLength(1);
  const pi = [...mock.paymentIntents.values()].find(
    (p) => (p.metadata as Record<string, string>).relance_payment_id === String(paymentId),
  );
  expect(pi, 'the mock holds it').toBeDefined();
  return pi!.id as string;
}

async function fillCard(page: Page, number: string): Promise<void> {
  const element = page.getByTestId('fake-payment-element');
  await element.getByTestId('fake-card-number').fill(number);
  await element.getByTestId('fake-card-expiry').fill('12 / 34');
  await element.getByTestId('fake-card-cvc').fill('123');
}

test.describe('Stripe mode (offline: Stripe API stand-in and fake Stripe.js)', () => {
  test.describe.configure({ mode: 'serial' });

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    fakeStripeJs = await readFile(FAKE_STRIPE_JS, 'utf8');
    const base = await mock.start();
    await relance.start(base);
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) anyFailed = true;
  });

  test.afterAll(async () => {
    await relance.stop(anyFailed);
    await mock.stop();
  });

  test('the client saves a card through the Payment Element and sees it listed', async ({ browser }) => {
    const s = await openSession(browser);
    try {
      const { page } = s;
      await login(page, USERS.client, PORTAL_HOME);
      await expect(page.locator('html')).toHaveAttribute('lang', 'fr');

      const setupsBefore = mock.find('POST', '/v1/setup_intents').length;
      await page.goto('/portal/methods', { waitUntil: 'networkidle' });
      // No sandbox: no test-mode banner, no card form of ours, no method yet.
      await expect(page.getByTestId('test-mode')).toHaveCount(0);
      await expect(page.getByTestId('add-card-form')).toHaveCount(0);
      await expect(page.getByTestId('method')).toHaveCount(0);

      const setup = page.getByTestId('stripe-setup');
      await expect(setup).toHaveAttribute('data-publishable-key', PUBLISHABLE_KEY);
      await expect(setup).toHaveAttribute('data-kind', 'card');
      const element = setup.getByTestId('fake-payment-element');
      await expect(element).toBeVisible();
      const submit = page.locator('#stripe-setup-submit');
      await expect(submit).toBeEnabled();
      await expect(page.locator('#stripe-setup-error')).toBeHidden();

      // Relance made one SetupIntent for the account's customer (made on first use).
      const created = mock.find('POST', '/v1/setup_intents').slice(setupsBefore);
      expect(created).toHaveLength(1);
      const customer = field(created[0], 'customer') ?? '';
      expect(customer).toMatch(/^cus_/);
      expect(array(created[0], 'allowed_payment_method_types')).toEqual(['card']);
      expect(field(created[0], 'usage')).toBe('off_session');
      expect(created[0].headers['idempotency-key']).toBeTruthy();
      expect(mock.find('POST', '/v1/customers')).toHaveLength(1);

      // Stripe.js got our key, that SetupIntent's secret and the page's language.
      const setiId = [...mock.setupIntents.values()].find((si) => si.customer === customer && si.status !== 'succeeded')!
        .id as string;
      const calls = await stripeCalls(page);
      expect(calls).toEqual([
        { fn: 'Stripe', key: PUBLISHABLE_KEY, locale: 'fr' },
        { fn: 'elements', intent: setiId, locale: 'fr' },
        { fn: 'create', type: 'payment' },
        { fn: 'mount', target: '#payment-element' },
      ]);

      // Type a card into Stripe's element and save it.
      await fillCard(page, '4242 4242 4242 4242');
      await submit.click();
      await page.waitForURL((url) => url.pathname === '/portal/methods' && url.searchParams.get('added') === '1');
      await expect(page.getByRole('status').filter({ hasText: /Moyen de paiement enregistré\.|Payment method saved\./ })).toBeVisible();
      const methods = page.getByTestId('method');
      await expect(methods).toHaveCount(1);
      await expect(methods.first()).toContainText('Visa \u2022\u2022\u2022\u2022 4242');
      await expect(methods.first()).toContainText('12/34');

      // The browser confirmed with Stripe (publishable key, client secret,
      // return URL); Relance then read the SetupIntent back with its method.
      const confirm = last(mock.find('POST', `/v1/setup_intents/${setiId}/confirm`), 'confirmSetup reached Stripe');
      expect(field(confirm, 'key')).toBe(PUBLISHABLE_KEY);
      expect(field(confirm, 'return_url')).toBe(`${relance.url}/portal/methods?add=card`);
      const read = last(mock.find('GET', `/v1/setup_intents/${setiId}`), 'finish_setup asked Stripe');
      expect(read.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
      expect(read.query.some(([k, v]) => k.startsWith('expand') && v === 'payment_method')).toBe(true);
      expect(mock.setupIntents.get(setiId)!.status).toBe('succeeded');

      // The card number went to Stripe only.
      expect(s.toRelance.join('\n')).not.toMatch(/4242\s*4242\s*4242\s*4242|4242424242424242/);
      expect(s.problems).toEqual([]);
    } finally {
      await s.context.close();
    }
  });

  test('the client pays an invoice with a new card in the Payment Element; the invoice is paid', async ({
    browser,
  }) => {
    const s = await openSession(browser);
    try {
      const { page } = s;
      await login(page, USERS.client, PORTAL_HOME);
      const inv = await firstOpenInvoice(page);
      expect(await amountDue(page, inv.id)).not.toMatch(ZERO_AMOUNT);

      // The card saved by the previous test is preselected; choose Stripe's form instead.
      const { paymentId, total, minor } = await startPaymentElementPayment(page, inv);

      // The receipt page waits for the Payment Element.
      const section = page.getByTestId('stripe-pay');
      await expect(section).toBeVisible();
      await expect(page.getByTestId('payment-status')).toHaveText(NEEDS_ACTION_TEXT);
      await expect(section).toHaveAttribute('data-publishable-key', PUBLISHABLE_KEY);
      await expect(section).toHaveAttribute('data-return-path', `/portal/payments/${paymentId}`);
      await expect(page.getByTestId('stripe-pay-submit')).toContainText(total);
      await expect(section.getByTestId('fake-payment-element')).toBeVisible();
      await expect(page.locator('#stripe-pay-error')).toBeHidden();

      // The PaymentIntent: the plan's amount, no method, confirmed by the browser.
      const piId = intentOf(paymentId);
      const create = mock.find('POST', '/v1/payment_intents').find((r) => field(r, 'metadata[relance_payment_id]') === String(paymentId))!;
      expect(field(create, 'amount')).toBe(minor);
      expect(field(create, 'currency')).toBe('eur');
      expect(field(create, 'automatic_payment_methods[enabled]')).toBe('true');
      expect(field(create, 'confirm')).toBeUndefined();
      expect(field(create, 'payment_method')).toBeUndefined();
      expect(create.headers['idempotency-key']).toBe(`relance-payment-${paymentId}`);
      expect(await stripeCalls(page)).toEqual([
        { fn: 'Stripe', key: PUBLISHABLE_KEY, locale: 'fr' },
        { fn: 'elements', intent: piId, locale: 'fr' },
        { fn: 'create', type: 'payment' },
        { fn: 'mount', target: '#stripe-pay-element' },
      ]);

      // Pay.
      await fillCard(page, '5555 5555 5555 4444');
      await page.getByTestId('stripe-pay-submit').click();
      await expect(page.getByTestId('payment-succeeded')).toBeVisible();
      expect(new URL(page.url()).pathname).toBe(`/portal/payments/${paymentId}`);
      await expect(page.getByTestId('payment-status')).toHaveText(SUCCEEDED_TEXT);
      await expect(page.getByTestId('payment-amount')).toHaveText(total);
      await expect(page.getByTestId('payment-allocations')).toContainText(inv.number);
      await expect(page.locator('main')).toContainText('Mastercard \u2022\u2022\u2022\u2022 4444');
      await expect(page.getByTestId('stripe-pay')).toHaveCount(0);
      await expect(page.getByTestId('receipt-pdf')).toBeVisible();

      const confirm = last(mock.find('POST', `/v1/payment_intents/${piId}/confirm`), 'confirmPayment reached Stripe');
      expect(field(confirm, 'key')).toBe(PUBLISHABLE_KEY);
      expect(field(confirm, 'return_url')).toBe(`${relance.url}/portal/payments/${paymentId}`);
      expect(mock.paymentIntents.get(piId)!.status).toBe('succeeded');
      expect(mock.find('GET', `/v1/payment_intents/${piId}`).length, 'Relance asked Stripe').toBeGreaterThan(0);

      // The invoice is paid.
      expect(await amountDue(page, inv.id)).toMatch(ZERO_AMOUNT);
      await expect(page.getByTestId('pay-invoice')).toHaveCount(0);

      expect(s.toRelance.join('\n')).not.toMatch(/5555\s*5555\s*5555\s*4444|5555555555554444/);
      expect(s.problems).toEqual([]);
    } finally {
      await s.context.close();
    }
  });

  test('a declined card shows Stripe\'s message in #stripe-pay-error and nothing is paid', async ({ browser }) => {
    const s = await openSession(browser);
    try {
      const { page } = s;
      await login(page, USERS.client, PORTAL_HOME);
      await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
      const inv = await firstOpenInvoice(page);
      const balanceBefore = await balanceDue(page);
      const dueBefore = await amountDue(page, inv.id);
      expect(dueBefore).not.toMatch(ZERO_AMOUNT);

      const { paymentId } = await startPaymentElementPayment(page, inv);
      const piId = intentOf(paymentId);
      await expect(page.getByTestId('fake-payment-element')).toBeVisible();

      await fillCard(page, '4000 0000 0000 0002');
      const submit = page.getByTestId('stripe-pay-submit');
      await submit.click();

      // Stripe's message (in the page's language), the button usable again, no navigation.
      const error = page.locator('#stripe-pay-error');
      await expect(error).toBeVisible();
      await expect(error).toHaveText('Votre carte a été refusée.');
      await expect(error).toHaveAttribute('role', 'alert');
      await expect(submit).toBeEnabled();
      expect(new URL(page.url()).pathname).toBe(`/portal/payments/${paymentId}`);
      await expect(page.getByTestId('payment-succeeded')).toHaveCount(0);
      await expect(page.getByTestId('payment-status')).toHaveText(NEEDS_ACTION_TEXT);
      expect(mock.paymentIntents.get(piId)!.status).toBe('requires_payment_method');

      // Nothing paid: same amount due, same balance.
      expect(await amountDue(page, inv.id)).toBe(dueBefore);
      expect(await balanceDue(page)).toBe(balanceBefore);

      // Coming back to the payment, Relance asks Stripe: declined, nothing charged.
      await page.goto(`/portal/payments/${paymentId}`);
      await expect(page.getByTestId('payment-status')).toHaveText(FAILED_TEXT);
      const failed = page.getByTestId('payment-failed');
      await expect(failed).toContainText(/Votre carte a été refusée\.|Your card was declined\./);
      await expect(failed).toContainText(/Aucun montant n'a été débité|Nothing was charged/);
      await expect(page.getByTestId('stripe-pay')).toHaveCount(0);
      expect(await amountDue(page, inv.id)).toBe(dueBefore);

      // The browser logs the 402 of the declined confirm; nothing else may go wrong.
      const problems = s.problems.filter(
        (p) => !/Failed to load resource: the server responded with a status of 402/.test(p),
      );
      expect(problems).toEqual([]);
    } finally {
      await s.context.close();
    }
  });
});
