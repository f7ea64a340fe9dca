// Shared helpers for the Relance browser tests. Every test opens its own
// browser context and signs in itself; nothing is shared between tests.

import { expect, type Browser, type BrowserContext, type ConsoleMessage, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export const BASE_URL = process.env.RELANCE_E2E_URL ?? 'http://127.0.0.1:3000';
export const PASSWORD = 'relance-demo';

export const USERS = {
  owner: 'owner@relance.demo',
  /** Collector whose portfolio holds C0001 (Dupont), not C0002 (Harbour). */
  camille: 'camille@relance.demo',
  /** Collector whose portfolio holds C0002 (Harbour), not C0001 (Dupont). */
  james: 'james@relance.demo',
  accountant: 'paul@relance.demo',
  /** Contact of C0001 Boulangerie Dupont SARL, language fr. */
  client: 'client@relance.demo',
  /** Contact of C0002 Harbour Logistics Ltd, language en. */
  client2: 'client2@relance.demo',
} as const;

export const DUPONT = 'Boulangerie Dupont SARL';
export const HARBOUR = 'Harbour Logistics Ltd';

export const PORTAL_HOME = '/portal';
export const BACK_HOME = '/back/accounts';

export const SESSION_COOKIE = 'relance_session';

/** Either language: the tests that are not about language accept both. */
export const NOT_FOUND_TEXT = /Introuvable\.|Not found\./;
export const NO_ACCESS_TEXT = /Introuvable\.|Not found\.|Vous n'avez pas accès à cette page\.|You do not have access to this page\./;
export const FORBIDDEN_TEXT = /Vous n'avez pas accès à cette page\.|You do not have access to this page\./;
export const BAD_CREDENTIALS_FR = 'Adresse e-mail ou mot de passe incorrect.';
export const BAD_CREDENTIALS_EN = 'Incorrect email address or password.';

/** A new context with the same defaults as the configured one. */
export async function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  return browser.newContext({ baseURL: BASE_URL, locale: 'fr-FR', acceptDownloads: true, ...options });
}

/**
 * Fills and submits the sign-in form: a document (no bundle), so a plain
 * form post answered by a redirect.
 */
export async function submitLogin(
  page: Page,
  email: string,
  password: string,
  options: { waitUntil?: 'load' | 'networkidle' } = {},
): Promise<void> {
  await page.goto('/login', { waitUntil: options.waitUntil ?? 'load' });
  const form = page.getByTestId('login-form');
  await expect(form).toBeVisible();
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
}

/** Signs in and waits for the landing page (`/portal` or `/back/accounts`). */
export async function login(page: Page, email: string, home: string): Promise<void> {
  await submitLogin(page, email, PASSWORD);
  await page.waitForURL((url) => url.pathname === home);
  await expect(page.getByTestId('viewer-name')).toBeVisible();
}

/** Signs out through the header button and waits for the sign-in page. */
export async function logout(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^(Se déconnecter|Sign out)$/ }).click();
  // The server may send the browser to `/`, which redirects to `/login`.
  await page.waitForURL((url) => url.pathname === '/login');
}

export async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  const cookies = await context.cookies();
  return cookies.find((c) => c.name === SESSION_COOKIE)?.value;
}

/** The numeric id at the end of a link's href, checked against a pattern. */
export async function idFromLink(link: Locator, pattern: RegExp): Promise<number> {
  const href = await link.getAttribute('href');
  expect(href, 'link has an href').not.toBeNull();
  const m = pattern.exec(href!);
  expect(m, `href ${href} matches ${pattern}`).not.toBeNull();
  return Number(m![1]);
}

/** Runs `fn` in a separate context signed in as the owner. */
export async function asOwner<T>(browser: Browser, fn: (page: Page) => Promise<T>): Promise<T> {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await login(page, USERS.owner, BACK_HOME);
    return await fn(page);
  } finally {
    await context.close();
  }
}

/** Id of account C0002 Harbour Logistics Ltd, through the owner's search. */
export async function harbourAccountId(ownerPage: Page): Promise<number> {
  await ownerPage.goto('/back/accounts?q=Harbour');
  const row = ownerPage.getByTestId('account-row').filter({ hasText: HARBOUR });
  await expect(row).toHaveCount(1);
  return idFromLink(row.getByRole('link', { name: HARBOUR }), /^\/back\/accounts\/(\d+)$/);
}

/** Id of one invoice of C0002 Harbour Logistics Ltd, through the owner's invoice search. */
export async function harbourInvoiceId(ownerPage: Page): Promise<number> {
  await ownerPage.goto('/back/invoices?filter=all&q=Harbour');
  const row = ownerPage.getByTestId('invoice-row').filter({ hasText: HARBOUR }).first();
  await expect(row).toBeVisible();
  // First cell: the invoice number, linking to the invoice.
  return idFromLink(row.locator('td').first().locator('a'), /^\/back\/invoices\/(\d+)$/);
}

export async function firstBytes(path: string, n: number): Promise<string> {
  const bytes = await readFile(path);
  return bytes.subarray(0, n).toString('latin1');
}

/**
 * From the owner's account page: the account's name, its collector, and the
 * e-mail of its first contact that can sign in (no "invitation pending" nor
 * "inactive" badge), or `null` when there is none.
 */
export async function signedUpContact(
  page: Page,
  accountId: number,
): Promise<{ email: string; accountName: string; collectorName: string } | null> {
  await page.goto(`/back/accounts/${accountId}`);
  const heading = page.getByRole('heading', { level: 1 });
  await expect(heading).toBeVisible();
  // "<h1>Legal name <small>C0042</small></h1>"
  const accountName = (await heading.evaluate((h) => h.firstChild?.textContent ?? '')).trim();
  const contact = page.locator('[data-testid="contact"]:not(:has(.badge))').first();
  if ((await contact.count()) === 0) return null;
  const email = /[^\s@·]+@[^\s@·]+\.[a-z]+/.exec((await contact.textContent()) ?? '')?.[0];
  if (!email) return null;
  const collectorName = ((await page.getByTestId('account-collector').textContent()) ?? '').trim();
  return { email, accountName, collectorName };
}

/** The open invoices offered in the overview's pay box (client signed in, on the overview). */
export async function payBoxInvoices(page: Page): Promise<{ id: string; number: string }[]> {
  const boxes = page.getByTestId('pay-box').locator('input[type="checkbox"][name="inv"]');
  const invoices: { id: string; number: string }[] = [];
  for (const box of await boxes.all()) {
    const id = (await box.getAttribute('value')) ?? '';
    const testId = (await box.getAttribute('data-testid')) ?? '';
    invoices.push({ id, number: testId.replace(/^select-/, '') });
  }
  return invoices;
}

/** Minor units of a formatted amount ("1 234,56 €", "€1,234.56"): every amount has two decimals. */
export function minorUnits(text: string | null): number {
  const digits = (text ?? '').replace(/[^\d]/g, '');
  expect(digits, `an amount in "${text}"`).not.toBe('');
  return Number(digits);
}

/** Minor units as typed in a French amount field: 12345 -> "123,45". */
export function frenchAmountInput(minor: number): string {
  return `${Math.floor(minor / 100)},${String(minor % 100).padStart(2, '0')}`;
}

/**
 * Collects the page's script errors and console errors (a failed hydration,
 * a wasm panic, a resource that failed to load) from now on; `allow` lets a
 * test accept the ones it causes on purpose. Check the array at the end.
 */
export function watchProblems(page: Page, allow: (msg: ConsoleMessage) => boolean = () => false): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allow(msg)) {
      problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    }
  });
  return problems;
}

/** `relance link --email …` on the test server's database: the link an administrator hands over. */
export function adminLink(email: string): string {
  const bin = process.env.RELANCE_E2E_BIN;
  const db = process.env.RELANCE_E2E_DATABASE_URL;
  if (!bin || !db) throw new Error('RELANCE_E2E_BIN and RELANCE_E2E_DATABASE_URL are set by scripts/e2e.sh');
  return execFileSync(bin, ['link', '--email', email], {
    env: { ...process.env, DATABASE_URL: db, RELANCE_PUBLIC_URL: BASE_URL, RUST_LOG: 'error' },
    encoding: 'utf8',
  }).trim();
}

/**
 * Signs in and waits for the landing page with everything it loads (the
 * portal's overview is a document with no bundle; the back-office hydrates).
 */
export async function loginReady(page: Page, email: string, home: string, password = PASSWORD): Promise<void> {
  await submitLogin(page, email, password, { waitUntil: 'networkidle' });
  await page.waitForURL((url) => url.pathname === home);
  await expect(page.getByTestId('viewer-name')).toBeVisible();
  await page.waitForLoadState('networkidle');
}

/** A valid SIREN (Luhn key) no other test uses: 8 digits from the clock and a counter, then the key. */
let sirenCounter = 0;
export function freshSiren(): string {
  const body = `${(Date.now() % 1e7) * 10 + (sirenCounter++ % 10)}`.padStart(8, '0').slice(-8);
  for (let key = 0; key < 10; key++) {
    const candidate = `${body}${key}`;
    let sum = 0;
    [...candidate].reverse().forEach((c, i) => {
      let d = Number(c);
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    });
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('no Luhn key');
}

export interface NewAccount {
  id: number;
  code: string;
  name: string;
}

/**
 * As a bookkeeper, through the account form: a French business account
 * of its own for the calling test (unique name and SIREN), billed in
 * euros at 30 days, assigned to `collector` (display name) if given.
 */
export async function createAccount(page: Page, name: string, options: { collector?: string; email?: string } = {}): Promise<NewAccount> {
  await page.goto('/back/accounts/new', { waitUntil: 'networkidle' });
  const form = page.getByTestId('account-form');
  await form.getByTestId('account-legal-name').fill(name);
  await form.getByTestId('account-siren').fill(freshSiren());
  await form.getByTestId('account-emails').fill(options.email ?? `compta+${Date.now()}@example.com`);
  await form.locator('input[name="form[city]"]').fill('Lyon');
  await form.getByTestId('account-terms').fill('30');
  if (options.collector) await form.getByTestId('account-collector').selectOption({ label: options.collector });
  await form.getByTestId('account-save').click();
  await page.waitForURL((url) => /^\/back\/accounts\/\d+$/.test(url.pathname));
  const id = Number(/(\d+)$/.exec(new URL(page.url()).pathname)![1]);
  const heading = page.getByRole('heading', { level: 1 });
  await expect(heading).toContainText(name);
  const code = ((await heading.locator('small').textContent()) ?? '').trim();
  return { id, code, name };
}

export interface NewInvoice {
  id: number;
  number: string;
}

/**
 * Through the draft form: an invoice of one line per `[description,
 * quantity, unit price]` at 20 % VAT on the account, saved then issued.
 * `due` (YYYY-MM-DD) overrides the account's terms.
 */
export async function createInvoice(
  page: Page,
  accountId: number,
  lines: [string, string, string][],
  options: { due?: string; discount?: [string, string] } = {},
): Promise<NewInvoice> {
  await page.goto(`/back/accounts/${accountId}/invoices/new`, { waitUntil: 'networkidle' });
  const form = page.getByTestId('draft-form');
  for (let i = 0; i < lines.length; i++) {
    const [description, quantity, price] = lines[i];
    await form.locator(`input[name="form[lines][${i}][description]"]`).fill(description);
    await form.locator(`input[name="form[lines][${i}][quantity]"]`).fill(quantity);
    await form.locator(`input[name="form[lines][${i}][unit_price]"]`).fill(price);
  }
  if (options.due) await form.getByTestId('draft-due-date').fill(options.due);
  if (options.discount) {
    await form.locator('input[name="form[discount_percent]"]').fill(options.discount[0]);
    await form.locator('input[name="form[discount_days]"]').fill(options.discount[1]);
  }
  await form.getByTestId('save-draft').click();
  await page.waitForURL((url) => /^\/back\/drafts\/\d+$/.test(url.pathname));
  await expect(page.getByTestId('draft-totals')).toBeVisible();
  await page.waitForLoadState('networkidle');
  await page.getByTestId('issue-draft').click();
  await page.waitForURL((url) => /^\/back\/invoices\/\d+$/.test(url.pathname));
  const id = Number(/(\d+)$/.exec(new URL(page.url()).pathname)![1]);
  const number = ((await page.getByTestId('invoice-number').textContent()) ?? '').trim();
  expect(number).toMatch(/^F-\d{4}-\d{5}$/);
  return { id, number };
}

/**
 * On the pay page (`/portal/pay`), pays with a new test card typed into
 * the sandbox's fields and waits for the payment's page.
 */
export async function payWithNewCard(page: Page, number = '4242 4242 4242 4242'): Promise<void> {
  await page.waitForLoadState('networkidle');
  const pay = page.getByTestId('pay-form');
  await pay.getByTestId('method-new').check();
  await pay.getByTestId('card-number').fill(number);
  await pay.getByTestId('card-expiry').fill('12/34');
  await pay.getByTestId('card-cvc').fill('123');
  await pay.getByTestId('pay-submit').click();
  await page.waitForURL((url) => /^\/portal\/payments\/\d+$/.test(url.pathname));
}

/**
 * The owner invites a French client contact of the account; the contact
 * sets `password` from the link an administrator hands over. Returns the
 * contact's e-mail.
 */
export async function inviteClient(browser: Browser, ownerPage: Page, account: NewAccount, password: string): Promise<string> {
  const email = `client-${account.id}-${Date.now()}@example.com`;
  await ownerPage.goto('/back/team', { waitUntil: 'networkidle' });
  const form = ownerPage.getByTestId('invite-form');
  await form.locator('input[name="name"]').fill(`Contact ${account.name}`);
  await form.locator('input[name="email"]').fill(email);
  await form.locator('select[name="role"]').selectOption('client');
  await form.locator('select[name="account_id"]').selectOption({ label: `${account.code} · ${account.name}` });
  await form.locator('select[name="locale"]').selectOption('fr');
  await form.locator('button[type="submit"]').click();
  await expect(ownerPage.getByRole('status')).toBeVisible();
  const path = /(\/invite\/[0-9A-Za-z_-]+)/.exec(adminLink(email))![1];
  const context = await newContext(browser);
  try {
    const invitee = await context.newPage();
    await invitee.goto(path, { waitUntil: 'networkidle' });
    await invitee.locator('input[name="password"]').fill(password);
    await invitee.locator('input[name="confirm"]').fill(password);
    await invitee.locator('button[type="submit"]').click();
    await invitee.waitForURL((url) => url.pathname === '/login');
  } finally {
    await context.close();
  }
  return email;
}

/** YYYY-MM-DD, `days` from today (negative: in the past), by the test machine's UTC clock. */
export function isoDaysFromToday(days: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A demo account that a spec brings its own invoices to. */
export interface DemoAccount {
  code: string;
  id: number;
  name: string;
  /** The collector's display name. */
  collectorName: string;
  /** A client contact of the account who can sign in. */
  contactEmail: string;
}

/**
 * A demo account by its code (`page` is signed in as the owner): its id,
 * name, collector and a client contact who can sign in. Fails when the
 * account has no such contact: the calling spec picked it for one.
 */
export async function demoAccount(page: Page, code: string): Promise<DemoAccount> {
  await page.goto(`/back/accounts?q=${encodeURIComponent(code)}`);
  // The code's own cell: a search by code may list other accounts too.
  const row = page.getByTestId('account-row').filter({ has: page.getByRole('cell', { name: code, exact: true }) });
  await expect(row).toHaveCount(1);
  const id = await idFromLink(row.locator('td').nth(1).getByRole('link'), /^\/back\/accounts\/(\d+)$/);
  const contact = await signedUpContact(page, id);
  expect(contact, `${code} has a client contact who can sign in`).not.toBeNull();
  return {
    code,
    id,
    name: contact!.accountName,
    collectorName: contact!.collectorName,
    contactEmail: contact!.email,
  };
}

/** An invoice for `importInvoices`: a number outside Relance's own series, its dates and amounts. */
export interface InvoiceToImport {
  number: string;
  /** Issue and due dates, YYYY-MM-DD. */
  issued: string;
  due: string;
  /** Net amount and VAT, minor units (euros); the total is their sum. */
  net: number;
  vat: number;
}

export interface ImportedInvoice extends InvoiceToImport {
  id: number;
  /** Net plus VAT, minor units: the amount due once imported. */
  total: number;
}

/** The French export's header: every column is one the import recognises by name. */
const INVOICE_FILE_HEADER = 'N° facture;Code client;Date;Échéance;Total HT;TVA;Total TTC';

/**
 * As the accountant, through the back office's import (upload, mapping,
 * preview, run): the invoices on the account with this code, with the
 * file's dates. The draft form issues an invoice today, due no earlier, so
 * an import is how a spec gets overdue invoices of its own. Returns them
 * with their ids, each checked in the invoice list (amount, due date).
 */
export async function importInvoices(
  browser: Browser,
  accountCode: string,
  invoices: InvoiceToImport[],
): Promise<ImportedInvoice[]> {
  // French dates and amounts, as a French accounting export writes them.
  const frenchDate = (iso: string) => iso.split('-').reverse().join('/');
  const rows = invoices.map((i) =>
    [
      i.number,
      accountCode,
      frenchDate(i.issued),
      frenchDate(i.due),
      frenchAmountInput(i.net),
      frenchAmountInput(i.vat),
      frenchAmountInput(i.net + i.vat),
    ].join(';'),
  );
  const content = Buffer.from(`${INVOICE_FILE_HEADER}\n${rows.join('\n')}\n`, 'utf-8');

  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await loginReady(page, USERS.accountant, BACK_HOME);
    await uploadImport(page, 'invoices', [{ name: 'factures-e2e.csv', mimeType: 'text/csv', buffer: content }]);

    // The mapping is set column by column: a mapping remembered for this
    // header row (someone's earlier import) must not change what is imported.
    const columns: Record<string, string> = {
      number: '0',
      account: '1',
      issue_date: '2',
      due_date: '3',
      subtotal: '4',
      tax: '5',
      total: '6',
      line_description: '',
      line_quantity: '',
      line_unit_price: '',
      line_vat: '',
    };
    for (const [field, column] of Object.entries(columns)) {
      await page.getByTestId(`map-${field}`).selectOption(column);
    }
    await page.getByTestId('import-preview').click();
    await expect(page.getByTestId('count-created')).toHaveText(String(invoices.length));
    await expect(page.getByTestId('import-problems')).toHaveCount(0);
    await page.getByTestId('import-run').click();
    await expect(page.getByTestId('import-status')).toHaveText('Importé', { timeout: 30_000 });

    const imported: ImportedInvoice[] = [];
    for (const inv of invoices) {
      await page.goto(`/back/invoices?filter=all&q=${encodeURIComponent(inv.number)}`);
      const link = page.getByRole('link', { name: inv.number, exact: true });
      const row = page.getByTestId('invoice-row').filter({ has: link });
      await expect(row).toHaveCount(1);
      await expect(row.locator(`time[datetime="${inv.due}"]`)).toHaveCount(1);
      const total = inv.net + inv.vat;
      expect(minorUnits(await row.locator('td.num').first().textContent())).toBe(total);
      imported.push({ ...inv, total, id: await idFromLink(link, /^\/back\/invoices\/(\d+)$/) });
    }
    return imported;
  } finally {
    await context.close();
  }
}

/** Uploads files on the imports page as `kind` and waits for the import's page. */
export async function uploadImport(
  page: Page,
  kind: string,
  files: { name: string; mimeType: string; buffer: Buffer }[],
): Promise<void> {
  await page.goto('/back/imports', { waitUntil: 'networkidle' });
  const form = page.getByTestId('import-upload-form');
  await form.getByTestId('import-kind').selectOption(kind);
  await form.getByTestId('import-file').setInputFiles(files);
  await form.getByTestId('import-upload').click();
  await page.waitForURL((url) => /^\/back\/imports\/\d+$/.test(url.pathname));
  await page.waitForLoadState('networkidle');
}
