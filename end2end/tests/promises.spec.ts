// (h) Promises to pay: a client promises a date for two open invoices from
// the overview, a date beyond the policy is refused, the account's collector
// sees the promise in the back office, the owner records a promise made by
// phone, and the client cancels its promises (the invoices go back to
// collection).
//
// The spec brings its own data: three overdue invoices (numbers unique to
// the run, known amounts and due dates in the past) imported in beforeAll
// through the back office's import, on demo account C0040 Optique Vidal
// SARL: its client contact has a password and reads French, its collector
// (Camille Martin) works in French, and no other spec uses it (C0001 and
// C0002 belong to the payment specs, disputes.spec.ts has C0016). The
// account's own demo invoices are never touched. Every promise created
// here is cancelled again before the spec ends.

import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import {
  BACK_HOME,
  PORTAL_HOME,
  USERS,
  asOwner,
  demoAccount,
  importInvoices,
  isoDaysFromToday,
  login,
  newContext,
  payBoxInvoices,
} from './helpers';

/** Not C0001/C0002 (payment specs) nor C0016 (disputes.spec.ts). */
const ACCOUNT = 'C0040';

const STATE_PROMISED = 'Promise';
const STATE_OVERDUE = 'En retard';
const STATUS_ACTIVE = 'En cours';
const STATUS_CANCELLED = 'Annulée';
const BY_PHONE = '(par téléphone)';
const PROMISE_TITLE = 'Promettre une date de paiement';
const DATE_OUT_OF_RANGE =
  "Cette date est hors des limites permises (à partir d'aujourd'hui, dans la limite fixée par le créancier).";
// Only collectors whose interface is in French: the collector's checks read
// French labels (James Wilson works in English).
const COLLECTORS: Record<string, string> = {
  'Camille Martin': USERS.camille,
};

/** One of the invoices imported in beforeAll: overdue before these tests. */
interface Invoice {
  id: string;
  number: string;
  /** Its amount (nothing paid on it), minor units. */
  total: number;
}

interface Payer {
  email: string;
  accountId: number;
  accountName: string;
  collectorEmail: string;
  /** The three imported invoices, oldest due date first. */
  invoices: Invoice[];
}

let payer: Payer | undefined;
/** The server's "today" (the date input's min), as YYYY-MM-DD; set by the first test. */
let today = '';
let promisedDate = '';
let overdueBefore = 0;

function thePayer(): Payer {
  expect(payer, 'the payer was set up in beforeAll').toBeDefined();
  return payer!;
}

/** Minor units of a formatted amount ("1 234,56 €", "€1,234.56"): every amount has two decimals. */
function minor(text: string | null): number {
  const digits = (text ?? '').replace(/[^\d]/g, '');
  expect(digits, `an amount in "${text}"`).not.toBe('');
  return Number(digits);
}

/** YYYY-MM-DD, `days` after the YYYY-MM-DD `from` (calendar arithmetic in UTC). */
function addDays(from: string, days: number): string {
  const d = new Date(`${from}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** An invoice row (any invoice table) whose number link is exactly `number`. */
function invoiceRow(page: Page, number: string): Locator {
  return page.getByTestId('invoice-row').filter({ has: page.getByRole('link', { name: number, exact: true }) });
}

/** A promise row listing all these invoice numbers. */
function promiseRow(scope: Page | Locator, numbers: string[]): Locator {
  let rows = scope.getByTestId('promise-row');
  for (const n of numbers) rows = rows.filter({ hasText: n });
  return rows;
}

/** The state badge of each invoice on the client's overview. */
async function overviewStates(page: Page, invoices: Invoice[]): Promise<string[]> {
  await page.goto(PORTAL_HOME);
  await expect(page.getByTestId('invoice-table')).toBeVisible();
  const states: string[] = [];
  for (const inv of invoices) {
    const row = invoiceRow(page, inv.number);
    await expect(row).toHaveCount(1);
    states.push(((await row.locator('td').last().textContent()) ?? '').trim());
  }
  return states;
}

async function overdueAmount(page: Page): Promise<number> {
  await page.goto(PORTAL_HOME);
  const big = page.getByTestId('overdue-amount').locator('.big');
  await expect(big).toHaveText(/\d/);
  return minor(await big.textContent());
}

/** Whether the invoice is listed under the portal's "overdue" filter. */
async function inOverdueFilter(page: Page, inv: Invoice): Promise<boolean> {
  await page.goto('/portal/invoices?filter=overdue');
  await expect(page.getByTestId('filter-overdue')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  return (await invoiceRow(page, inv.number).count()) > 0;
}

/**
 * The payer: the French-speaking client contact of ACCOUNT, with three
 * overdue invoices of its own imported (in euros, 20 % VAT), which the
 * client's overview offers in the pay box and shows as overdue.
 */
async function setUpPayer(browser: Browser): Promise<Payer> {
  const account = await asOwner(browser, (page) => demoAccount(page, ACCOUNT));
  const collectorEmail = COLLECTORS[account.collectorName];
  expect(collectorEmail, `${ACCOUNT}'s collector (${account.collectorName}) works in French`).toBeDefined();

  const stamp = Date.now();
  const imported = await importInvoices(browser, ACCOUNT, [
    { number: `PROM-${stamp}-1`, issued: isoDaysFromToday(-75), due: isoDaysFromToday(-45), net: 40_000, vat: 8_000 },
    { number: `PROM-${stamp}-2`, issued: isoDaysFromToday(-60), due: isoDaysFromToday(-30), net: 25_050, vat: 5_010 },
    { number: `PROM-${stamp}-3`, issued: isoDaysFromToday(-50), due: isoDaysFromToday(-20), net: 100_000, vat: 20_000 },
  ]);
  const invoices: Invoice[] = imported.map((i) => ({ id: String(i.id), number: i.number, total: i.total }));

  const client = await newContext(browser);
  try {
    const page = await client.newPage();
    await login(page, account.contactEmail, PORTAL_HOME);
    // The checks below read French labels.
    expect(await page.locator('html').getAttribute('lang'), `${account.contactEmail} reads French`).toBe('fr');
    const offered = await payBoxInvoices(page);
    for (const inv of invoices) {
      expect(offered, `${inv.number} is offered in the pay box`).toContainEqual({ id: inv.id, number: inv.number });
    }
    expect(await overviewStates(page, invoices)).toEqual([STATE_OVERDUE, STATE_OVERDUE, STATE_OVERDUE]);
  } finally {
    await client.close();
  }
  return {
    email: account.contactEmail,
    accountId: account.id,
    accountName: account.name,
    collectorEmail: collectorEmail!,
    invoices,
  };
}

/** Cancels, as the client, every promise still open on these invoices. */
async function cancelOpenPromises(page: Page, numbers: string[]): Promise<number> {
  let cancelled = 0;
  for (let round = 0; round < 5; round++) {
    await page.goto('/portal/promises', { waitUntil: 'networkidle' });
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const open = page
      .getByTestId('promise-row')
      .filter({ has: page.getByTestId('promise-cancel') })
      .filter({ hasText: new RegExp(numbers.map((n) => n.replace(/[-]/g, '\\-')).join('|')) });
    if ((await open.count()) === 0) return cancelled;
    await open.first().getByTestId('promise-cancel').click();
    await page.waitForLoadState('networkidle');
    cancelled++;
  }
  return cancelled;
}

test.describe('promises to pay', () => {
  test.describe.configure({ mode: 'serial' });

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    payer = await setUpPayer(browser);
    const p = payer;
    console.log(
      `payer: ${p.email} (${ACCOUNT} ${p.accountName}, collector ${p.collectorEmail}; ` +
        `imported ${p.invoices.map((i) => `${i.number} ${i.total}`).join(', ')})`,
    );
  });

  test.afterAll(async ({ browser }) => {
    // Safety net when a test failed half-way: nothing of ours stays promised.
    if (!payer) return;
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await login(page, payer.email, PORTAL_HOME);
      const n = await cancelOpenPromises(
        page,
        payer.invoices.map((i) => i.number),
      );
      if (n > 0) console.log(`afterAll cancelled ${n} promise(s) left open`);
    } finally {
      await context.close();
    }
  });

  test('the client promises a date for two invoices from the overview; they are promised, not overdue', async ({
    page,
  }) => {
    const p = thePayer();
    const [a, b] = p.invoices;
    await login(page, p.email, PORTAL_HOME);

    // Overdue, as imported: in the overdue filter and in the overdue figure.
    for (const inv of [a, b]) {
      expect(await inOverdueFilter(page, inv), `${inv.number} is in the overdue filter`).toBe(true);
    }
    overdueBefore = await overdueAmount(page);
    expect(overdueBefore, 'the overdue figure counts the imported invoices').toBeGreaterThanOrEqual(
      p.invoices.reduce((sum, inv) => sum + inv.total, 0),
    );

    // 1. Tick the two invoices in the overview's pay box, "Promettre une date".
    const box = page.getByTestId('pay-box');
    const balances: number[] = [];
    for (const inv of [a, b]) {
      const checkbox = box.getByTestId(`select-${inv.number}`);
      await expect(checkbox).toHaveValue(inv.id);
      await checkbox.check();
      await expect(checkbox).toBeChecked();
      // (`has` is matched inside each label: the inner locator is not scoped to the box.)
      const label = box.locator('label.choice').filter({ has: page.getByTestId(`select-${inv.number}`) });
      balances.push(minor(await label.locator('.amount').textContent()));
    }
    expect(balances, 'the pay box offers what is due: the imported amounts').toEqual([a.total, b.total]);
    await expect(box.getByTestId('promise-selected')).toHaveText('Promettre une date');
    await box.getByTestId('promise-selected').click();
    await page.waitForURL((url) => url.pathname === '/portal/promise');
    expect(new URL(page.url()).searchParams.getAll('inv').sort()).toEqual([a.id, b.id].sort());

    // 2. Both invoices and their total.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(PROMISE_TITLE);
    const table = page.getByTestId('promise-invoices');
    await expect(table).toBeVisible();
    await expect(table.locator('tbody tr')).toHaveCount(2);
    for (const [i, inv] of [a, b].entries()) {
      const row = table.locator('tbody tr').filter({ hasText: inv.number });
      await expect(row).toHaveCount(1);
      expect(minor(await row.locator('.amount').textContent())).toBe(balances[i]);
    }
    const totalText = ((await table.locator('tfoot .amount').textContent()) ?? '').trim();
    expect(minor(totalText)).toBe(balances[0] + balances[1]);

    // 3. A date a week ahead (within the input's bounds), no amount.
    const form = page.getByTestId('promise-form');
    const date = form.getByTestId('promise-date');
    today = (await date.getAttribute('min')) ?? '';
    expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const max = (await date.getAttribute('max')) ?? '';
    expect(max, 'the default policy: 30 days ahead').toBe(addDays(today, 30));
    promisedDate = addDays(today, 7);
    await expect(form.getByTestId('promise-amount')).toHaveValue('');
    await expect(form.getByTestId('promise-amount')).toHaveAttribute('placeholder', totalText);

    await page.waitForLoadState('networkidle');
    await date.fill(promisedDate);
    await form.getByTestId('promise-submit').click();

    // 4. On the list of promises: running, both invoices, the whole amount.
    await page.waitForURL((url) => url.pathname === '/portal/promises');
    const row = promiseRow(page, [a.number, b.number]);
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('promise-status')).toHaveText(STATUS_ACTIVE);
    await expect(row.locator(`time[datetime="${promisedDate}"]`)).toHaveCount(1);
    await expect(row.locator('.amount')).toHaveText(totalText);
    await expect(row).not.toContainText(BY_PHONE);
    await expect(row.getByTestId('promise-cancel')).toBeVisible();

    // 5. The invoices are promised: badge, out of the overdue filter and figure.
    expect(await overviewStates(page, [a, b])).toEqual([STATE_PROMISED, STATE_PROMISED]);
    for (const inv of [a, b]) {
      await page.goto(`/portal/invoices/${inv.id}`);
      await expect(page.getByTestId('invoice-number')).toHaveText(inv.number);
      await expect(page.locator('main .badge').first()).toHaveText(STATE_PROMISED);
    }
    await page.goto('/portal/invoices?filter=open');
    for (const inv of [a, b]) {
      await expect(invoiceRow(page, inv.number).locator('td').last()).toHaveText(STATE_PROMISED);
    }
    for (const inv of [a, b]) {
      expect(await inOverdueFilter(page, inv), `${inv.number} is not in the overdue filter`).toBe(false);
    }
    expect(await overdueAmount(page)).toBe(overdueBefore - balances[0] - balances[1]);
  });

  test('a date beyond the policy is refused with a field error and creates nothing', async ({ page }) => {
    const p = thePayer();
    const c = p.invoices[2];
    expect(today, 'set by the first test').not.toBe('');
    await login(page, p.email, PORTAL_HOME);

    // From the invoice page's "Promettre une date".
    await page.goto(`/portal/invoices/${c.id}`);
    await expect(page.getByTestId('invoice-number')).toHaveText(c.number);
    await page.getByTestId('promise-invoice').click();
    await page.waitForURL((url) => url.pathname === '/portal/promise');
    expect(new URL(page.url()).searchParams.getAll('inv')).toEqual([c.id]);
    await expect(page.getByTestId('promise-invoices')).toContainText(c.number);

    const form = page.getByTestId('promise-form');
    const date = form.getByTestId('promise-date');
    await page.waitForLoadState('networkidle');
    // 60 days ahead: the browser's own check is removed so the server decides.
    await date.evaluate((input) => input.removeAttribute('max'));
    await date.fill(addDays(today, 60));
    const refused = page.waitForResponse((r) => r.url().includes('/api/promises/create'));
    await form.getByTestId('promise-submit').click();
    const res = await refused;
    expect(res.status()).toBeGreaterThanOrEqual(400);

    await expect(form.locator('.field-error')).toHaveText(DATE_OUT_OF_RANGE);
    await expect(form.locator('.field-error')).toHaveCount(1);
    expect(new URL(page.url()).pathname).toBe('/portal/promise');

    // Nothing was created: no promise for the invoice, its state unchanged.
    await page.goto('/portal/promises');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByTestId('promise-row').first()).toBeVisible();
    await expect(promiseRow(page, [c.number])).toHaveCount(0);
    expect(await overviewStates(page, [c])).toEqual([STATE_OVERDUE]);
  });

  test("the account's collector sees the promise; the owner records one made by phone", async ({ browser }) => {
    const p = thePayer();
    const [a, b, c] = p.invoices;
    expect(promisedDate, 'set by the first test').not.toBe('');

    // 1. The collector of the account, on its page and in the "active" queue.
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await login(page, p.collectorEmail, BACK_HOME);
      await page.goto(`/back/accounts/${p.accountId}`);
      await expect(page.getByRole('heading', { level: 1 })).toContainText(p.accountName);
      const section = page.getByTestId('account-promises');
      const row = promiseRow(section, [a.number, b.number]);
      await expect(row).toHaveCount(1);
      await expect(row.getByTestId('promise-status')).toHaveText(STATUS_ACTIVE);
      await expect(row.locator(`time[datetime="${promisedDate}"]`)).toHaveCount(1);
      // The account's open invoices: both promised.
      await page.goto(`/back/invoices?filter=open&account=${p.accountId}`);
      for (const inv of [a, b]) {
        await expect(invoiceRow(page, inv.number).locator('td').last()).toHaveText(STATE_PROMISED);
      }

      await page.goto('/back/promises?queue=active');
      await expect(page.getByTestId('promise-queues').locator('[aria-current="page"]')).toHaveText(STATUS_ACTIVE);
      const queued = promiseRow(page, [a.number, b.number]);
      await expect(queued).toHaveCount(1);
      await expect(queued.getByRole('link', { name: p.accountName })).toHaveAttribute(
        'href',
        `/back/accounts/${p.accountId}`,
      );
      await expect(queued.getByTestId('promise-status')).toHaveText(STATUS_ACTIVE);
    } finally {
      await context.close();
    }

    // 2. The owner records a promise made by phone for the third invoice.
    const phoneDate = addDays(today, 10);
    await asOwner(browser, async (page) => {
      await page.goto(`/back/accounts/${p.accountId}`, { waitUntil: 'networkidle' });
      const section = page.getByTestId('account-promises');
      await expect(promiseRow(section, [a.number, b.number])).toHaveCount(1);
      await section.locator('summary').filter({ hasText: 'Noter une promesse faite par téléphone' }).click();
      const form = section.getByTestId('record-promise-form');
      await expect(form).toBeVisible();
      await form.locator('label.choice').filter({ hasText: c.number }).locator('input[type="radio"]').check();
      await form.locator('input[name="promised_date"]').fill(phoneDate);
      await form.locator('textarea[name="note"]').fill('Appel E2E');
      await form.getByTestId('record-promise-submit').click();

      // Back on the account page (reloaded): the promise, "by phone".
      const phone = promiseRow(page.getByTestId('account-promises'), [c.number]);
      await expect(phone).toHaveCount(1);
      expect(new URL(page.url()).pathname).toBe(`/back/accounts/${p.accountId}`);
      await expect(phone.getByTestId('promise-status')).toHaveText(STATUS_ACTIVE);
      await expect(phone).toContainText(BY_PHONE);
      await expect(phone).toContainText('Appel E2E');
      await expect(phone.locator(`time[datetime="${phoneDate}"]`)).toHaveCount(1);
      // The client's own promise is not "by phone".
      await expect(promiseRow(page.getByTestId('account-promises'), [a.number, b.number])).not.toContainText(BY_PHONE);
    });

    // 3. The client sees it too, and the invoice is promised.
    const client = await newContext(browser);
    try {
      const page = await client.newPage();
      await login(page, p.email, PORTAL_HOME);
      await page.goto('/portal/promises');
      const phone = promiseRow(page, [c.number]);
      await expect(phone).toHaveCount(1);
      await expect(phone).toContainText(BY_PHONE);
      await expect(phone.getByTestId('promise-status')).toHaveText(STATUS_ACTIVE);
      expect(await overviewStates(page, [c])).toEqual([STATE_PROMISED]);
    } finally {
      await client.close();
    }
  });

  test('the client cancels its promises; the invoices are back to their previous state', async ({ page }) => {
    const p = thePayer();
    const [a, b, c] = p.invoices;
    await login(page, p.email, PORTAL_HOME);

    // 1. Its own promise.
    await page.goto('/portal/promises', { waitUntil: 'networkidle' });
    const row = promiseRow(page, [a.number, b.number]);
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('promise-status')).toHaveText(STATUS_ACTIVE);
    await row.getByTestId('promise-cancel').click();
    await expect(row.getByTestId('promise-status')).toHaveText(STATUS_CANCELLED);
    await expect(row.getByTestId('promise-cancel')).toHaveCount(0);
    await page.reload();
    await expect(row.getByTestId('promise-status')).toHaveText(STATUS_CANCELLED);
    await expect(row.getByTestId('promise-cancel')).toHaveCount(0);

    expect(await overviewStates(page, [a, b])).toEqual([STATE_OVERDUE, STATE_OVERDUE]);
    for (const inv of [a, b]) {
      expect(await inOverdueFilter(page, inv), `${inv.number} in the overdue filter as before`).toBe(true);
    }

    // 2. The one recorded by phone too, so the account is left as found.
    await page.goto('/portal/promises', { waitUntil: 'networkidle' });
    const phone = promiseRow(page, [c.number]);
    await expect(phone).toHaveCount(1);
    await phone.getByTestId('promise-cancel').click();
    await expect(phone.getByTestId('promise-status')).toHaveText(STATUS_CANCELLED);
    expect(await overviewStates(page, [a, b, c])).toEqual([STATE_OVERDUE, STATE_OVERDUE, STATE_OVERDUE]);
    expect(await overdueAmount(page)).toBe(overdueBefore);
  });
});
