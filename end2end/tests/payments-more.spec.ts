// (g2) More online payments in the sandbox gateway: 3-D Secure completed
// (in English, with the PDF receipt) and failed, and a SEPA Direct Debit
// that stays processing until the sandbox settles it.
//
// The payer is the test's own: the owner creates an account and three
// invoices through the back-office forms and invites a French contact, so
// no demo account is shared with another spec.

import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  BACK_HOME,
  PASSWORD,
  PORTAL_HOME,
  USERS,
  createAccount,
  createInvoice,
  firstBytes,
  inviteClient,
  login,
  loginReady,
  newContext,
} from './helpers';

const CARD_3DS = '4000 0027 6000 3184';
const CARD_EXPIRY = '12/34';
const CARD_CVC = '123';
/** Stripe's SEPA test IBAN that succeeds (DE89 3704 0044 0532 0130 00). */
const IBAN_OK = 'DE89 3704 0044 0532 0130 00';
const SEPA_LABEL = 'SEPA \u2022\u2022\u2022\u2022 3000';

const RECEIPT_PATH = /\/portal\/payments\/(\d+)$/;
const AUTH_PATH = /\/sandbox\/authenticate\/pi_sbx_[a-z0-9]+$/;
/** A zero amount in either locale ("0,00 €", "€0.00"). */
const ZERO_AMOUNT = /^[^\d]*0[,.]00[^\d]*$/;

interface Invoice {
  id: string;
  number: string;
}

interface Payer {
  email: string;
  accountName: string;
  /** The contact's stored language before these tests. */
  language: string;
  invoices: Invoice[];
}

let payer: Payer | undefined;

function thePayer(): Payer {
  expect(payer, 'a payer was found in beforeAll').toBeDefined();
  return payer!;
}

/**
 * A French-speaking client contact of an account of its own with `needed`
 * open invoices (100 €, 110 €, 120 €… plus VAT), made through the forms.
 */
async function createPayer(browser: Browser, needed: number): Promise<Payer> {
  const owner = await newContext(browser);
  try {
    const page = await owner.newPage();
    await loginReady(page, USERS.owner, BACK_HOME);
    const account = await createAccount(page, `Paiements E2E ${Date.now()}`);
    const invoices: Invoice[] = [];
    for (let i = 0; i < needed; i++) {
      const inv = await createInvoice(page, account.id, [[`Prestation ${i + 1}`, '1', `${100 + 10 * i}`]]);
      invoices.push({ id: String(inv.id), number: inv.number });
    }
    const email = await inviteClient(browser, page, account, PASSWORD);
    return { email, accountName: account.name, language: 'fr', invoices };
  } finally {
    await owner.close();
  }
}

/** Signs in as the payer (its stored language applies). */
async function signIn(page: Page): Promise<void> {
  await login(page, thePayer().email, PORTAL_HOME);
}

async function amountDue(page: Page, inv: Invoice): Promise<string> {
  await page.goto(`/portal/invoices/${inv.id}`);
  await expect(page.getByTestId('invoice-number')).toHaveText(inv.number);
  const due = page.getByTestId('amount-due');
  await expect(due).toHaveText(/\d/);
  return ((await due.textContent()) ?? '').trim();
}

async function balanceDue(page: Page): Promise<string> {
  await page.goto(PORTAL_HOME);
  const card = page.getByTestId('balance-due').locator('.big');
  await expect(card).toHaveText(/\d/);
  return ((await card.textContent()) ?? '').trim();
}

/** From the invoice page, "Pay this invoice" with a new (not saved) card. */
async function payWithNewCard(page: Page, inv: Invoice, number: string): Promise<string> {
  await page.goto(`/portal/invoices/${inv.id}`);
  await page.getByTestId('pay-invoice').click();
  await page.waitForURL((url) => url.pathname === '/portal/pay');
  const plan = page.getByTestId('pay-plan');
  await expect(plan).toContainText(inv.number);
  const total = ((await page.getByTestId('pay-total').textContent()) ?? '').trim();
  expect(total).toMatch(/\d/);

  const form = page.getByTestId('pay-form');
  await form.getByTestId('method-new').check();
  await form.getByTestId('card-number').fill(number);
  await form.getByTestId('card-expiry').fill(CARD_EXPIRY);
  await form.getByTestId('card-cvc').fill(CARD_CVC);
  await expect(form.locator('input[name="save_card"]')).not.toBeChecked();
  await page.waitForLoadState('networkidle');
  await form.getByTestId('pay-submit').click();
  return total;
}

test.describe('more online payments (sandbox)', () => {
  test.describe.configure({ mode: 'serial' });

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000);
    payer = await createPayer(browser, 3);
    console.log(`payer: ${payer.email} (${payer.accountName}, ${payer.invoices.length} open invoices, ${payer.language})`);
  });

  test.afterAll(async ({ browser }) => {
    // Put the contact's language back as it was (stored on the user).
    if (!payer) return;
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await login(page, payer.email, PORTAL_HOME);
      if ((await page.locator('html').getAttribute('lang')) !== payer.language) {
        await page.getByTestId('switch-language').click();
        await expect(page.locator('html')).toHaveAttribute('lang', payer.language);
      }
    } finally {
      await context.close();
    }
  });

  test('in English, a 3-D Secure card pays an invoice after authentication; the PDF receipt downloads', async ({
    page,
  }) => {
    const p = thePayer();
    const inv = p.invoices[0];
    await signIn(page);

    // 1. Switch the interface from French to English (stored on the user).
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.getByTestId('switch-language')).toHaveText('English');
    await page.getByTestId('switch-language').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page).toHaveURL((url) => url.pathname === PORTAL_HOME);
    await expect(page.getByTestId('balance-due')).toContainText('Balance due');

    // 2. Pay the invoice with the 3-D Secure test card: the bank's (simulated) page.
    const total = await payWithNewCard(page, inv, CARD_3DS);
    await page.waitForURL(AUTH_PATH);
    await expect(page.getByTestId('test-mode')).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('3-D Secure authentication (test)');
    await expect(page.locator('main')).toContainText(total);
    await page.waitForLoadState('networkidle');
    await page.getByTestId('3ds-complete').click();

    // 3. Back on the receipt, in English.
    await page.waitForURL(RECEIPT_PATH);
    const paymentId = Number(RECEIPT_PATH.exec(new URL(page.url()).pathname)![1]);
    await expect(page.getByTestId('payment-succeeded')).toHaveText(
      'Payment received. Thank you! A receipt has been e-mailed to you.',
    );
    await expect(page.getByTestId('payment-status')).toHaveText('Succeeded');
    await expect(page.getByTestId('payment-amount')).toHaveText(total);
    await expect(page.getByTestId('payment-allocations')).toContainText(inv.number);
    const reference = ((await page.getByTestId('payment-reference').textContent()) ?? '').trim();
    expect(reference).toMatch(/^P-\d+$/);

    // 4. The PDF receipt: a download, and the endpoint answers with a PDF.
    const link = page.getByTestId('receipt-pdf');
    await expect(link).toHaveText('Download the receipt (PDF)');
    await expect(link).toHaveAttribute('href', `/payments/${paymentId}/receipt.pdf`);
    const downloadPromise = page.waitForEvent('download');
    await link.click();
    const download = await downloadPromise;
    expect(await download.failure()).toBeNull();
    expect(download.suggestedFilename()).toBe(`${reference}.pdf`);
    expect(await firstBytes(await download.path(), 5)).toBe('%PDF-');

    const res = await page.request.get(`/payments/${paymentId}/receipt.pdf`, { maxRedirects: 0 });
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('application/pdf');
    expect(res.headers()['content-disposition']).toContain(`${reference}.pdf`);
    expect((await res.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // 5. The invoice is paid: nothing due, no pay button, not offered on the overview.
    expect(await amountDue(page, inv)).toMatch(ZERO_AMOUNT);
    await expect(page.getByTestId('pay-invoice')).toHaveCount(0);
    await page.goto(PORTAL_HOME);
    await expect(page.getByTestId('balance-due')).toBeVisible();
    await expect(page.getByTestId(`select-${inv.number}`)).toHaveCount(0);
  });

  test('a failed 3-D Secure authentication shows why, charges nothing and leaves the balance as it was', async ({
    page,
  }) => {
    const p = thePayer();
    const inv = p.invoices[1];
    await signIn(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');

    const balanceBefore = await balanceDue(page);
    const dueBefore = await amountDue(page, inv);
    expect(dueBefore).not.toMatch(ZERO_AMOUNT);

    await payWithNewCard(page, inv, CARD_3DS);
    await page.waitForURL(AUTH_PATH);
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Fail authentication' }).click();

    await page.waitForURL(RECEIPT_PATH);
    const failed = page.getByTestId('payment-failed');
    await expect(failed).toBeVisible();
    await expect(failed).toContainText('Card authentication failed or could not be completed.');
    await expect(failed).toContainText('Nothing was charged and your balance has not changed.');
    await expect(page.getByTestId('payment-status')).toHaveText('Failed');
    await expect(page.getByTestId('payment-succeeded')).toHaveCount(0);
    await expect(page.getByTestId('receipt-pdf')).toHaveCount(0);

    // Nothing moved: same amount due, still payable, same balance.
    expect(await amountDue(page, inv)).toBe(dueBefore);
    await expect(page.getByTestId('pay-invoice')).toBeVisible();
    expect(await balanceDue(page)).toBe(balanceBefore);
    await expect(page.getByTestId(`select-${inv.number}`)).toBeVisible();
  });

  test('a SEPA mandate pays an invoice: processing first, then succeeded without reloading by hand', async ({
    page,
  }) => {
    // The sandbox settles a SEPA debit after 20 s; the payments job runs every 5 s.
    test.setTimeout(150_000);
    const p = thePayer();
    const inv = p.invoices[2];
    await signIn(page);

    // 1. Add the mandate.
    await page.goto('/portal/methods', { waitUntil: 'networkidle' });
    await expect(page.getByTestId('test-mode')).toBeVisible();
    const sepa = page.getByTestId('add-sepa-form');
    await expect(sepa).toBeVisible();
    await sepa.locator('input[name="holder"]').fill(p.accountName);
    await sepa.getByTestId('iban').fill(IBAN_OK);
    await sepa.getByRole('button', { name: 'Accept the mandate' }).click();
    await expect(page.getByTestId('methods')).toContainText(SEPA_LABEL);

    // 2. Pay the invoice with it.
    await page.goto(`/portal/invoices/${inv.id}`);
    await page.getByTestId('pay-invoice').click();
    await page.waitForURL((url) => url.pathname === '/portal/pay');
    await expect(page.getByTestId('pay-plan')).toContainText(inv.number);
    const total = ((await page.getByTestId('pay-total').textContent()) ?? '').trim();
    const form = page.getByTestId('pay-form');
    const choice = form.locator('label.choice').filter({ hasText: SEPA_LABEL });
    await expect(choice).toHaveCount(1);
    await choice.locator('input[name="method"]').check();
    await page.waitForLoadState('networkidle');
    await form.getByTestId('pay-submit').click();

    // 3. Processing: the receipt says so and refreshes itself.
    await page.waitForURL(RECEIPT_PATH);
    await expect(page.getByTestId('payment-status')).toHaveText('Processing');
    await expect(page.locator('main')).toContainText(
      'Payment processing (a SEPA debit takes a few days). This page updates by itself.',
    );
    await expect(page.locator('meta[http-equiv="refresh"]')).toHaveAttribute('content', '5');
    await expect(page.getByTestId('payment-amount')).toHaveText(total);
    await expect(page.locator('main')).toContainText(SEPA_LABEL);

    // 4. Settled by the sandbox and the payments job; the page catches up on its own.
    await expect(page.getByTestId('payment-status')).toHaveText('Succeeded', { timeout: 75_000 });
    await expect(page.getByTestId('payment-succeeded')).toBeVisible();
    await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0);

    expect(await amountDue(page, inv)).toMatch(ZERO_AMOUNT);
    await expect(page.getByTestId('pay-invoice')).toHaveCount(0);

    // 5. Leave the account without the mandate, as found.
    await page.goto('/portal/methods', { waitUntil: 'networkidle' });
    const method = page.getByTestId('method').filter({ hasText: SEPA_LABEL });
    await expect(method).toHaveCount(1);
    await method.getByTestId('method-remove').click();
    await expect(page.getByTestId('method').filter({ hasText: SEPA_LABEL })).toHaveCount(0);
  });
});
