// (i) Disputes: a client promises a date for one open invoice and opens a
// dispute on part of another (overdue) one, with a photo and a PDF; an
// executable renamed `.pdf` is refused first and opens nothing; the owner
// finds the dispute in the back-office queue and approves part of it; the
// client then sees the credit note (and its PDF) and the reduced balance.
//
// The spec brings its own data: two overdue invoices (numbers unique to
// the run, known amounts and due dates in the past) imported in beforeAll
// through the back office's import, on demo account C0016 Fromagerie
// Blanchard SARL: its client contact has a password and reads French, it
// has a collector, and no other spec uses it (C0001 and C0002 belong to the
// payment specs, promises.spec.ts has C0040). The promise is cancelled again
// in afterAll; the decided dispute and its credit note stay (nothing undoes
// a credit note), on this run's own invoice.
//
// The account's figures (balance, overdue amount) are read from the pages
// before anything and every expected figure is computed from them, so the
// account's own demo invoices (which depend on the day) do not matter.

import { expect, test, type Browser, type ConsoleMessage, type Page } from '@playwright/test';
import {
  PORTAL_HOME,
  asOwner,
  demoAccount,
  frenchAmountInput,
  idFromLink,
  importInvoices,
  isoDaysFromToday,
  login,
  minorUnits,
  newContext,
  watchProblems,
} from './helpers';

/** Not C0001/C0002 (payment specs) nor C0040 (promises.spec.ts). */
const ACCOUNT = 'C0016';

const STATE_OVERDUE = 'En retard';
const STATE_PROMISED = 'Promise';
const PROMISE_ACTIVE = 'En cours';
const PROMISE_CANCELLED = 'Annulée';
const REASON_DAMAGED = 'Endommagé ou défectueux';
const STATUS_OPEN = 'Ouvert';
const STATUS_PARTLY = 'Accepté en partie';
const QUEUE_IN_PROGRESS = /^À traiter \(\d+\)$/;
const ATTACHMENT_TYPE =
  'Seuls les PDF et les images (PNG, JPEG, WebP) sont acceptés ; le contenu du fichier est vérifié, pas seulement son nom.';
const DISPUTE_TITLE = 'Contester une facture';

const MESSAGE = 'Deux appliques sont arrivées avec le verre fêlé (E2E).';
const DECISION_NOTE = 'Avoir pour les deux appliques abîmées (E2E).';

/** A real 1×1 PNG (grey + alpha). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
/** A small PDF: what the server checks is its signature. */
const PDF = Buffer.from(
  '%PDF-1.4\n' +
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n' +
    'trailer << /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);
/** The start of a Windows executable (MZ header, DOS stub text). */
const EXE = Buffer.concat([
  Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00]),
  Buffer.from('This program cannot be run in DOS mode.\r\n$', 'latin1'),
]);

const PHOTO = { name: 'photo.png', mimeType: 'image/png', buffer: PNG };
const DELIVERY_NOTE = { name: 'bon-de-livraison.pdf', mimeType: 'application/pdf', buffer: PDF };
const RENAMED_EXE = { name: 'facture.pdf', mimeType: 'application/pdf', buffer: EXE };

const DISPUTE_PATH = /^\/portal\/disputes\/(\d+)$/;
const CREDIT_NOTE_PDF = /^\/credit-notes\/\d+\/pdf$/;
const ATTACHMENT_HREF = /^\/disputes\/attachments\/\d+$/;

interface Invoice {
  id: string;
  number: string;
  /** Its state badge on the overview before these tests. */
  state: string;
  /** Amount due before these tests, minor units. */
  balance: number;
}

interface Client {
  email: string;
  accountId: number;
  accountName: string;
  code: string;
  /** Overdue, promised in the first test. */
  promised: Invoice;
  /** Overdue, disputed in part. */
  disputed: Invoice;
  /** Rows of the client's list of disputes before these tests (none in a fresh database). */
  disputesBefore: number;
}

let client: Client | undefined;
/** The overview's figures before anything, minor units. */
let balanceStart = 0;
/** The overview's overdue figure once the promise runs (before the dispute). */
let overdueAfterPromise = -1;
let disputeId = 0;
let disputedMinor = 0;
let approvedMinor = 0;
let creditNoteNumber = '';

function theClient(): Client {
  expect(client, 'the client was set up in beforeAll').toBeDefined();
  return client!;
}

/** YYYY-MM-DD, `days` after the YYYY-MM-DD `from` (calendar arithmetic in UTC). */
function addDays(from: string, days: number): string {
  const d = new Date(`${from}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The open invoices of the client's overview, in its order (oldest due date first). */
async function overviewInvoices(page: Page): Promise<Invoice[]> {
  await page.goto(PORTAL_HOME);
  await expect(page.getByTestId('balance-due')).toBeVisible();
  const invoices: Invoice[] = [];
  for (const row of await page.getByTestId('invoice-table').getByTestId('invoice-row').all()) {
    const link = row.locator('td').first().getByRole('link');
    const id = String(await idFromLink(link, /^\/portal\/invoices\/(\d+)$/));
    const number = ((await link.textContent()) ?? '').trim();
    // Number, issue date, due date, total, amount due, state.
    const balance = minorUnits(await row.locator('td').nth(4).textContent());
    const state = ((await row.locator('td').last().textContent()) ?? '').trim();
    invoices.push({ id, number, state, balance });
  }
  return invoices;
}

/** The overview's row of one invoice. */
function overviewRow(page: Page, inv: Invoice) {
  return page
    .getByTestId('invoice-table')
    .getByTestId('invoice-row')
    .filter({ has: page.getByRole('link', { name: inv.number, exact: true }) });
}

interface Figures {
  balance: number;
  overdue: number;
  /** The "disputed" card, or null when it is not shown. */
  disputed: number | null;
}

async function overviewFigures(page: Page): Promise<Figures> {
  await page.goto(PORTAL_HOME);
  const balance = page.getByTestId('balance-due').locator('.big');
  const overdue = page.getByTestId('overdue-amount').locator('.big');
  await expect(balance).toHaveText(/\d/);
  await expect(overdue).toHaveText(/\d/);
  const card = page.getByTestId('disputed-total');
  return {
    balance: minorUnits(await balance.textContent()),
    overdue: minorUnits(await overdue.textContent()),
    disputed: (await card.count()) > 0 ? minorUnits(await card.locator('.big').textContent()) : null,
  };
}

/** The invoice page's amount due, and its "disputed" figure (null when not shown). */
async function invoiceFigures(page: Page, inv: Invoice): Promise<{ due: number; disputed: number | null }> {
  await page.goto(`/portal/invoices/${inv.id}`);
  await expect(page.getByTestId('invoice-number')).toHaveText(inv.number);
  const due = page.getByTestId('amount-due');
  await expect(due).toHaveText(/\d/);
  const disputed = page.getByTestId('invoice-disputed');
  return {
    due: minorUnits(await due.textContent()),
    disputed: (await disputed.count()) > 0 ? minorUnits(await disputed.textContent()) : null,
  };
}

/** From the invoice page, "Contester": the form, loaded and hydrated. */
async function openDisputeForm(page: Page, inv: Invoice): Promise<void> {
  await page.goto(`/portal/invoices/${inv.id}`);
  await expect(page.getByTestId('invoice-number')).toHaveText(inv.number);
  await page.getByTestId('dispute-invoice').click();
  await page.waitForURL((url) => url.pathname === '/portal/dispute');
  expect(new URL(page.url()).searchParams.get('inv')).toBe(inv.id);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(DISPUTE_TITLE);
  await expect(page.getByTestId('dispute-form')).toBeVisible();
  await expect(page.locator('main')).toContainText(inv.number);
  // The wasm bundle loaded: the form then posts through the action.
  await page.waitForLoadState('networkidle');
}

/** Fills the dispute form: damaged, an amount, a message, these files. */
async function fillDispute(
  page: Page,
  amountMinor: number,
  files: { name: string; mimeType: string; buffer: Buffer }[],
): Promise<void> {
  const form = page.getByTestId('dispute-form');
  const reason = form.getByTestId('dispute-reason');
  await reason.selectOption('damaged');
  await expect(reason.locator('option:checked')).toHaveText(REASON_DAMAGED);
  await expect(form.getByTestId('scope-invoice')).toBeChecked();
  await form.getByTestId('scope-amount').check();
  await expect(form.getByTestId('scope-amount')).toBeChecked();
  await form.getByTestId('dispute-amount').fill(frenchAmountInput(amountMinor));
  await form.getByTestId('dispute-message').fill(MESSAGE);
  await form.getByTestId('dispute-files').setInputFiles(files);
}

/**
 * The client: the French-speaking client contact of ACCOUNT, with two
 * overdue invoices of its own imported (in euros, 20 % VAT): one to
 * promise, one to dispute. Checks the client's overview shows them as
 * imported (overdue, the whole amount due) and no dispute in progress.
 */
async function setUpClient(browser: Browser): Promise<Client> {
  const account = await asOwner(browser, (page) => demoAccount(page, ACCOUNT));
  expect(account.collectorName, `${ACCOUNT} has a collector`).not.toMatch(/^(Non attribué|Unassigned)$/);

  const stamp = Date.now();
  const [toPromise, toDispute] = await importInvoices(browser, ACCOUNT, [
    { number: `LITIGE-${stamp}-1`, issued: isoDaysFromToday(-70), due: isoDaysFromToday(-40), net: 30_000, vat: 6_000 },
    { number: `LITIGE-${stamp}-2`, issued: isoDaysFromToday(-55), due: isoDaysFromToday(-25), net: 103_000, vat: 20_600 },
  ]);

  const c = await newContext(browser);
  try {
    const cp = await c.newPage();
    await login(cp, account.contactEmail, PORTAL_HOME);
    // The checks read French labels.
    expect(await cp.locator('html').getAttribute('lang'), `${account.contactEmail} reads French`).toBe('fr');
    const open = await overviewInvoices(cp);
    await expect(cp.getByTestId('disputed-total'), 'no dispute in progress').toHaveCount(0);
    const [promised, disputed] = [toPromise, toDispute].map((imported) => {
      const inv = open.find((i) => i.number === imported.number);
      expect(inv, `${imported.number} is on the overview`).toBeDefined();
      expect(inv, `${imported.number} as imported`).toEqual({
        id: String(imported.id),
        number: imported.number,
        state: STATE_OVERDUE,
        balance: imported.total,
      });
      return inv!;
    });
    // Disputes of earlier runs on the same database (decided) may be listed.
    await cp.goto('/portal/disputes');
    await expect(cp.getByTestId('no-disputes').or(cp.getByTestId('disputes-table'))).toBeVisible();
    const disputesBefore = await cp.getByTestId('dispute-row').count();
    return {
      email: account.contactEmail,
      accountId: account.id,
      accountName: account.name,
      code: ACCOUNT,
      promised,
      disputed,
      disputesBefore,
    };
  } finally {
    await c.close();
  }
}

test.describe('disputes', () => {
  test.describe.configure({ mode: 'serial' });

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    client = await setUpClient(browser);
    const c = client;
    disputedMinor = Math.floor(c.disputed.balance / 200) * 100; // about half, in whole euros
    approvedMinor = Math.floor(disputedMinor / 2) + 37; // a part of it, with cents
    expect(disputedMinor).toBeGreaterThan(0);
    expect(disputedMinor).toBeLessThan(c.disputed.balance);
    expect(approvedMinor).toBeGreaterThan(0);
    expect(approvedMinor).toBeLessThan(disputedMinor);
    console.log(
      `client: ${c.email} (${c.code} ${c.accountName}); promised ${c.promised.number} (${c.promised.state}), ` +
        `disputed ${c.disputed.number} (${c.disputed.state}, due ${c.disputed.balance}): ` +
        `${disputedMinor} disputed, ${approvedMinor} to approve`,
    );
  });

  test.afterAll(async ({ browser }) => {
    // The promise of the first test: cancelled, so the account is left as
    // found apart from the decided dispute.
    if (!client) return;
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await login(page, client.email, PORTAL_HOME);
      await page.goto('/portal/promises', { waitUntil: 'networkidle' });
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      const open = page
        .getByTestId('promise-row')
        .filter({ hasText: client.promised.number })
        .filter({ has: page.getByTestId('promise-cancel') });
      if ((await open.count()) > 0) {
        await open.first().getByTestId('promise-cancel').click();
        await expect(
          page.getByTestId('promise-row').filter({ hasText: client.promised.number }).first().getByTestId('promise-status'),
        ).toHaveText(PROMISE_CANCELLED);
      }
    } finally {
      await context.close();
    }
  });

  test('the client promises a date for one open invoice', async ({ page }) => {
    const c = theClient();
    const a = c.promised;
    const problems = watchProblems(page);
    await login(page, c.email, PORTAL_HOME);
    const before = await overviewFigures(page);
    expect(before.disputed, 'no disputed card before').toBeNull();
    balanceStart = before.balance;

    // From the invoice page's "Promettre une date".
    await page.goto(`/portal/invoices/${a.id}`);
    await expect(page.getByTestId('invoice-number')).toHaveText(a.number);
    await page.getByTestId('promise-invoice').click();
    await page.waitForURL((url) => url.pathname === '/portal/promise');
    expect(new URL(page.url()).searchParams.getAll('inv')).toEqual([a.id]);
    await expect(page.getByTestId('promise-invoices')).toContainText(a.number);
    const form = page.getByTestId('promise-form');
    const date = form.getByTestId('promise-date');
    const today = (await date.getAttribute('min')) ?? '';
    expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const promisedDate = addDays(today, 7);
    await page.waitForLoadState('networkidle');
    await date.fill(promisedDate);
    await form.getByTestId('promise-submit').click();

    await page.waitForURL((url) => url.pathname === '/portal/promises');
    const row = page.getByTestId('promise-row').filter({ hasText: a.number });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('promise-status')).toHaveText(PROMISE_ACTIVE);
    await expect(row.locator(`time[datetime="${promisedDate}"]`)).toHaveCount(1);

    // Promised: its badge, and out of the overdue figure if it was overdue.
    const after = await overviewFigures(page);
    await expect(overviewRow(page, a).locator('td').last()).toHaveText(STATE_PROMISED);
    await expect(overviewRow(page, c.disputed).locator('td').last()).toHaveText(c.disputed.state);
    expect(after.balance).toBe(balanceStart);
    expect(after.overdue).toBe(before.overdue - a.balance);
    overdueAfterPromise = after.overdue;

    expect(problems).toEqual([]);
  });

  test('an executable renamed .pdf is refused with a field error and opens no dispute', async ({ page }) => {
    const c = theClient();
    const b = c.disputed;
    // The refused upload is answered 422: Chromium logs that resource as failed.
    const problems = watchProblems(
      page,
      (m: ConsoleMessage) => /status of 4\d\d/.test(m.text()) && m.location().url.includes('/api/disputes/open'),
    );
    await login(page, c.email, PORTAL_HOME);
    await openDisputeForm(page, b);
    await fillDispute(page, disputedMinor, [RENAMED_EXE]);

    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/disputes/open');
    await page.getByTestId('dispute-submit').click();
    const res = await answer;
    expect(res.status(), 'refused, not redirected').toBeGreaterThanOrEqual(400);
    expect(res.status()).toBeLessThan(500);
    expect(res.request().resourceType(), 'sent by the hydrated form').toBe('fetch');

    const form = page.getByTestId('dispute-form');
    await expect(form.getByTestId('error-attachments')).toHaveText(ATTACHMENT_TYPE);
    await expect(form.locator('.field-error')).toHaveCount(1);
    expect(new URL(page.url()).pathname).toBe('/portal/dispute');
    await expect(form.getByTestId('dispute-message')).toHaveValue(MESSAGE);

    // Nothing was opened.
    await page.goto('/portal/disputes');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByTestId('dispute-row').filter({ hasText: b.number })).toHaveCount(0);
    await expect(page.getByTestId('dispute-row')).toHaveCount(c.disputesBefore);
    if (c.disputesBefore === 0) await expect(page.getByTestId('no-disputes')).toBeVisible();
    const inv = await invoiceFigures(page, b);
    expect(inv).toEqual({ due: b.balance, disputed: null });
    await expect(page.getByTestId('disputes-of')).toHaveCount(0);
    const figures = await overviewFigures(page);
    expect(figures).toEqual({ balance: balanceStart, overdue: overdueAfterPromise, disputed: null });

    expect(problems).toEqual([]);
  });

  test('the client disputes part of an overdue invoice with a photo and a PDF', async ({ page }) => {
    const c = theClient();
    const b = c.disputed;
    expect(overdueAfterPromise, 'set by the first test').toBeGreaterThanOrEqual(0);
    const problems = watchProblems(page);
    await login(page, c.email, PORTAL_HOME);
    expect((await invoiceFigures(page, b)).due).toBe(b.balance);

    await openDisputeForm(page, b);
    await fillDispute(page, disputedMinor, [PHOTO, DELIVERY_NOTE]);
    await page.getByTestId('dispute-submit').click();

    // On the dispute's page: open, the amount, the message and both files.
    await page.waitForURL((url) => DISPUTE_PATH.test(url.pathname));
    disputeId = Number(DISPUTE_PATH.exec(new URL(page.url()).pathname)![1]);
    await expect(page.getByTestId('dispute-status')).toHaveText(STATUS_OPEN);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(b.number);
    await expect(page.locator('main')).toContainText(REASON_DAMAGED);
    expect(minorUnits(await page.getByTestId('disputed-amount').textContent())).toBe(disputedMinor);
    const thread = page.getByTestId('dispute-thread');
    const first = thread.getByTestId('thread-item');
    await expect(first).toHaveCount(1);
    await expect(first).toHaveAttribute('data-kind', 'message');
    await expect(first).toContainText(MESSAGE);
    const links = first.getByTestId('attachment-link');
    await expect(links).toHaveText(['photo.png', 'bon-de-livraison.pdf']);
    for (const link of await links.all()) {
      await expect(link).toHaveAttribute('href', ATTACHMENT_HREF);
    }
    // The photo comes back as it was sent, as a download.
    const photo = await page.request.get((await links.first().getAttribute('href'))!, { maxRedirects: 0 });
    expect(photo.status()).toBe(200);
    expect(photo.headers()['content-type']).toBe('image/png');
    expect(photo.headers()['content-disposition'] ?? '').toMatch(/^attachment/);
    expect(Buffer.compare(await photo.body(), PNG)).toBe(0);
    // Still undecided: no credit note; the client may withdraw it.
    await expect(page.getByTestId('credit-note')).toHaveCount(0);
    await expect(page.getByTestId('dispute-decide')).toHaveCount(0);
    await expect(page.getByTestId('dispute-close')).toBeVisible();

    // The invoice: same amount due, the disputed part shown apart.
    const inv = await invoiceFigures(page, b);
    expect(inv).toEqual({ due: b.balance, disputed: disputedMinor });
    const listed = page.getByTestId('disputes-of').getByTestId('dispute-row');
    await expect(listed).toHaveCount(1);
    await expect(listed.getByTestId('dispute-status')).toHaveText(STATUS_OPEN);
    await expect(listed.getByTestId('dispute-link')).toHaveAttribute('href', `/portal/disputes/${disputeId}`);

    // The overview: the disputed card; the disputed part is out of the
    // overdue figure (the invoice was overdue); the balance is unchanged.
    const figures = await overviewFigures(page);
    expect(figures).toEqual({
      balance: balanceStart,
      overdue: overdueAfterPromise - disputedMinor,
      disputed: disputedMinor,
    });
    // Partly disputed, it keeps its state.
    await expect(overviewRow(page, b).locator('td').last()).toHaveText(b.state);

    // The client's list of disputes.
    await page.goto('/portal/disputes');
    const row = page.getByTestId('dispute-row').filter({ hasText: b.number });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('dispute-status')).toHaveText(STATUS_OPEN);
    await expect(row).toContainText(REASON_DAMAGED);

    expect(problems).toEqual([]);
  });

  test('the owner finds the dispute in the queue and approves part of it', async ({ browser }) => {
    const c = theClient();
    const b = c.disputed;
    expect(disputeId, 'set by the previous test').toBeGreaterThan(0);
    await asOwner(browser, async (page) => {
      const problems = watchProblems(page);

      // 1. The "À traiter" queue, by default.
      await page.goto('/back/disputes');
      const tab = page.getByTestId('queue-in_progress');
      await expect(tab).toHaveAttribute('aria-current', 'page');
      await expect(tab).toHaveText(QUEUE_IN_PROGRESS);
      const link = page.locator(`[data-testid="dispute-link"][href="/back/disputes/${disputeId}"]`);
      await expect(link).toHaveCount(1);
      await expect(link).toHaveText(b.number);
      const row = page.getByTestId('dispute-row').filter({ has: link });
      await expect(row).toContainText(c.accountName);
      await expect(row).toContainText(REASON_DAMAGED);
      await expect(row.getByTestId('dispute-status')).toHaveText(STATUS_OPEN);
      expect(minorUnits(await row.locator('td.num').first().textContent())).toBe(disputedMinor);

      // 2. The dispute: the client's message and files.
      await link.click();
      await page.waitForURL((url) => url.pathname === `/back/disputes/${disputeId}`);
      await expect(page.getByTestId('dispute-status')).toHaveText(STATUS_OPEN);
      expect(minorUnits(await page.getByTestId('disputed-amount').textContent())).toBe(disputedMinor);
      const message = page.getByTestId('thread-item').filter({ hasText: MESSAGE });
      await expect(message).toHaveAttribute('data-kind', 'message');
      await expect(message.getByTestId('attachment-link')).toHaveText(['photo.png', 'bon-de-livraison.pdf']);
      const pdf = await page.request.get(
        (await message.getByTestId('attachment-link').last().getAttribute('href'))!,
        { maxRedirects: 0 },
      );
      expect(pdf.status()).toBe(200);
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      expect((await pdf.body()).subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');

      // 3. Approve part of it, with a note.
      const form = page.getByTestId('dispute-decide-form');
      await expect(form).toBeVisible();
      await page.waitForLoadState('networkidle');
      await form.getByTestId('decision-approve').check();
      await form.getByTestId('decision-amount').fill(frenchAmountInput(approvedMinor));
      await form.getByTestId('decision-note-input').fill(DECISION_NOTE);
      await form.getByTestId('decision-submit').click();

      // 4. Partly approved, with its credit note.
      await expect(page.getByTestId('dispute-status')).toHaveText(STATUS_PARTLY);
      expect(new URL(page.url()).pathname).toBe(`/back/disputes/${disputeId}`);
      const note = page.getByTestId('credit-note');
      await expect(note).toBeVisible();
      await expect(note.getByTestId('credit-note-number')).toHaveText(/^AV-\d{4}-\d{5}$/);
      creditNoteNumber = ((await note.getByTestId('credit-note-number').textContent()) ?? '').trim();
      await expect(note.getByTestId('credit-note-pdf')).toHaveAttribute('href', CREDIT_NOTE_PDF);
      expect(minorUnits(await page.getByTestId('approved-amount').textContent())).toBe(approvedMinor);
      await expect(page.getByTestId('decision-note')).toContainText(DECISION_NOTE);
      await expect(page.locator('[data-testid="thread-item"][data-kind="decision"]')).toContainText(DECISION_NOTE);
      await expect(page.getByTestId('dispute-decide')).toHaveCount(0);
      await expect(page.getByTestId('disputed-amount')).toBeVisible();
      expect(minorUnits(await page.getByTestId('disputed-amount').textContent())).toBe(disputedMinor);

      // 5. Out of the "À traiter" queue, in the decided one.
      await page.goto('/back/disputes');
      await expect(page.getByTestId('queue-in_progress')).toHaveAttribute('aria-current', 'page');
      await expect(page.locator(`[data-testid="dispute-link"][href="/back/disputes/${disputeId}"]`)).toHaveCount(0);
      await page.getByTestId('queue-decided').click();
      await page.waitForURL((url) => url.searchParams.get('queue') === 'decided');
      const decided = page
        .getByTestId('dispute-row')
        .filter({ has: page.locator(`[data-testid="dispute-link"][href="/back/disputes/${disputeId}"]`) });
      await expect(decided).toHaveCount(1);
      await expect(decided.getByTestId('dispute-status')).toHaveText(STATUS_PARTLY);

      expect(problems).toEqual([]);
    });
  });

  test('the client sees the credit note, its PDF and the reduced balance', async ({ page }) => {
    const c = theClient();
    const b = c.disputed;
    expect(creditNoteNumber, 'set by the previous test').not.toBe('');
    const problems = watchProblems(page);
    await login(page, c.email, PORTAL_HOME);

    // 1. The dispute's page: decided, the credit note and its PDF.
    await page.goto(`/portal/disputes/${disputeId}`);
    await expect(page.getByTestId('dispute-status')).toHaveText(STATUS_PARTLY);
    const note = page.getByTestId('credit-note');
    await expect(note.getByTestId('credit-note-number')).toHaveText(creditNoteNumber);
    expect(minorUnits(await page.getByTestId('approved-amount').textContent())).toBe(approvedMinor);
    await expect(page.getByTestId('decision-note')).toContainText(DECISION_NOTE);
    await expect(page.locator('[data-testid="thread-item"][data-kind="decision"]')).toContainText(DECISION_NOTE);
    await expect(page.getByTestId('dispute-decide')).toHaveCount(0);
    const pdfLink = note.getByTestId('credit-note-pdf');
    await expect(pdfLink).toHaveAttribute('href', CREDIT_NOTE_PDF);
    const res = await page.request.get((await pdfLink.getAttribute('href'))!, { maxRedirects: 0 });
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('application/pdf');
    expect((await res.body()).subarray(0, 4).toString('latin1')).toBe('%PDF');

    // 2. The invoice: due less exactly the approved amount, nothing disputed
    // any more, the credit note applied.
    const inv = await invoiceFigures(page, b);
    expect(inv).toEqual({ due: b.balance - approvedMinor, disputed: null });
    await expect(page.locator('main')).toContainText(creditNoteNumber);
    const listed = page.getByTestId('disputes-of').getByTestId('dispute-row');
    await expect(listed.getByTestId('dispute-status')).toHaveText(STATUS_PARTLY);

    // 3. The overview: the balance down by the same amount; no disputed card;
    // the rest of the invoice is overdue again.
    const figures = await overviewFigures(page);
    expect(figures).toEqual({
      balance: balanceStart - approvedMinor,
      overdue: overdueAfterPromise - approvedMinor,
      disputed: null,
    });
    await expect(overviewRow(page, b).locator('td').last()).toHaveText(b.state);
    expect(minorUnits(await overviewRow(page, b).locator('td').nth(4).textContent())).toBe(b.balance - approvedMinor);

    expect(problems).toEqual([]);
  });
});
