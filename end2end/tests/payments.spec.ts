// (g) Online payments in the sandbox gateway (offline Stripe test mode):
// a client saves a test card, a declining card is refused, the client pays
// two invoices with the saved card, sees the receipt and the history, and
// the collector of the account finds the payment in the back office.
//
// Every form here is a plain POST that also works without wasm (the server
// answers with a redirect); with wasm the ActionForm posts by fetch and an
// Effect navigates. The assertions hold either way.

import { expect, test, type Page } from '@playwright/test';
import { BACK_HOME, DUPONT, PORTAL_HOME, USERS, login, newContext } from './helpers';

const CARD_OK = '4242 4242 4242 4242';
const CARD_DECLINED = '4000 0000 0000 0002';
const CARD_EXPIRY = '12/34';
const CARD_CVC = '123';
const OK_LABEL = '\u2022\u2022\u2022\u2022 4242';
const DECLINED_LABEL = '\u2022\u2022\u2022\u2022 0002';

const DECLINED_TEXT = /Votre carte a été refusée|Your card was declined/;
const SUCCEEDED_TEXT = /^\s*(Réussi|Succeeded)\s*$/;
/** A zero amount in either locale ("0,00 €", "€0.00"). */
const ZERO_AMOUNT = /^[^\d]*0[,.]00[^\d]*$/;
const RECEIPT_PATH = /\/portal\/payments\/(\d+)$/;

// Filled in by the earlier tests, read by the later ones.
let paidInvoices: { id: string; number: string }[] = [];
let paymentId = 0;
let paymentReference = '';
let paymentTotal = '';

/** Opens the saved-methods page and waits for its content (and the wasm bundle). */
async function openMethods(page: Page): Promise<void> {
  await page.goto('/portal/methods', { waitUntil: 'networkidle' });
  await expect(page.getByTestId('test-mode'), 'the server runs the sandbox gateway').toBeVisible();
  await expect(page.getByTestId('add-card-form')).toBeVisible();
}

async function submitCard(page: Page, number: string): Promise<void> {
  const form = page.getByTestId('add-card-form');
  await form.getByTestId('card-number').fill(number);
  await form.getByTestId('card-expiry').fill(CARD_EXPIRY);
  await form.getByTestId('card-cvc').fill(CARD_CVC);
  await form.getByTestId('add-card-submit').click();
}

test.describe('online payments (sandbox)', () => {
  test.describe.configure({ mode: 'serial' });

  test('client saves a test card; a declining card is refused and not saved', async ({ page }) => {
    await login(page, USERS.client, PORTAL_HOME);
    await openMethods(page);

    const methods = page.getByTestId('method');
    const before = await methods.count();

    // 1. A card that works.
    await submitCard(page, CARD_OK);
    await expect(page.getByTestId('methods')).toContainText(OK_LABEL);
    await expect(methods).toHaveCount(before + 1);

    // Start again from a freshly loaded page, so the refreshed list cannot
    // replace the form while it is being filled.
    await openMethods(page);
    await expect(methods).toHaveCount(before + 1);

    // 2. A card that always declines: an error, and nothing saved.
    await submitCard(page, CARD_DECLINED);
    await expect(page.getByRole('alert').filter({ hasText: DECLINED_TEXT }).first()).toBeVisible();

    await openMethods(page);
    await expect(methods).toHaveCount(before + 1);
    await expect(page.getByTestId('methods')).not.toContainText(DECLINED_LABEL);
  });

  test('client pays two invoices with the saved card and gets a receipt', async ({ page }) => {
    await login(page, USERS.client, PORTAL_HOME);

    // 3. Tick the first two open invoices in the pay box of the overview.
    const box = page.getByTestId('pay-box');
    await expect(box).toBeVisible();
    const boxes = box.locator('input[type="checkbox"][name="inv"]');
    expect(await boxes.count(), 'at least two open invoices to pay').toBeGreaterThanOrEqual(2);

    paidInvoices = [];
    for (const i of [0, 1]) {
      const checkbox = boxes.nth(i);
      const id = (await checkbox.getAttribute('value')) ?? '';
      const testId = (await checkbox.getAttribute('data-testid')) ?? '';
      expect(id).toMatch(/^\d+$/);
      expect(testId).toMatch(/^select-.+/);
      paidInvoices.push({ id, number: testId.replace(/^select-/, '') });
      await checkbox.check();
      await expect(checkbox).toBeChecked();
    }

    await box.getByTestId('pay-selected').click();
    await page.waitForURL((url) => url.pathname === '/portal/pay');
    const url = new URL(page.url());
    expect(url.searchParams.getAll('inv').sort()).toEqual(paidInvoices.map((i) => i.id).sort());

    // The plan lists both invoices; the saved card is preselected.
    const plan = page.getByTestId('pay-plan');
    await expect(plan).toBeVisible();
    for (const inv of paidInvoices) {
      await expect(plan).toContainText(inv.number);
    }
    const total = page.getByTestId('pay-total');
    await expect(total).toHaveText(/\d/);
    paymentTotal = ((await total.textContent()) ?? '').trim();
    expect(paymentTotal).not.toBe('');

    const form = page.getByTestId('pay-form');
    const checkedChoice = form.locator('label.choice').filter({ has: page.locator('input[name="method"]:checked') });
    await expect(checkedChoice).toHaveCount(1);
    await expect(checkedChoice).toContainText(OK_LABEL);
    await expect(form.getByTestId('method-new')).not.toBeChecked();

    // Let the wasm bundle (if any) finish hydrating before posting.
    await page.waitForLoadState('networkidle');
    await form.getByTestId('pay-submit').click();
    await page.waitForURL(RECEIPT_PATH);

    const m = RECEIPT_PATH.exec(new URL(page.url()).pathname);
    expect(m).not.toBeNull();
    paymentId = Number(m![1]);

    // The receipt.
    await expect(page.getByTestId('payment-succeeded')).toBeVisible();
    await expect(page.getByTestId('payment-status')).toHaveText(SUCCEEDED_TEXT);
    await expect(page.getByTestId('payment-amount')).toHaveText(paymentTotal);
    const reference = page.getByTestId('payment-reference');
    await expect(reference).toHaveText(/^P-\d+$/);
    paymentReference = ((await reference.textContent()) ?? '').trim();
    const allocations = page.getByTestId('payment-allocations');
    for (const inv of paidInvoices) {
      await expect(allocations).toContainText(inv.number);
    }

    // Both invoices are settled: nothing left to pay on either.
    for (const inv of paidInvoices) {
      await page.goto(`/portal/invoices/${inv.id}`);
      await expect(page.getByTestId('invoice-number')).toHaveText(inv.number);
      await expect(page.getByTestId('amount-due')).toHaveText(ZERO_AMOUNT);
      await expect(page.getByTestId('pay-invoice')).toHaveCount(0);
    }

    // And the overview no longer offers them for payment.
    await page.goto(PORTAL_HOME);
    await expect(page.getByTestId('balance-due')).toBeVisible();
    for (const inv of paidInvoices) {
      await expect(page.getByTestId(`select-${inv.number}`)).toHaveCount(0);
    }
  });

  test('client sees the payment in the payment history', async ({ page }) => {
    expect(paymentReference, 'set by the previous test').not.toBe('');
    await login(page, USERS.client, PORTAL_HOME);

    // 4. The history.
    await page.goto('/portal/payments');
    const row = page.getByTestId('payment-row').filter({ hasText: paymentReference });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('payment-status')).toHaveText(SUCCEEDED_TEXT);
    await expect(row.getByRole('link', { name: paymentReference })).toHaveAttribute(
      'href',
      `/portal/payments/${paymentId}`,
    );
  });

  test("the account's collector sees the payment and its gateway reference", async ({ browser }) => {
    expect(paymentReference, 'set by an earlier test').not.toBe('');

    // 5. Camille, collector of C0001 (Dupont), in a context of her own.
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await login(page, USERS.camille, BACK_HOME);

      await page.goto('/back/payments');
      const row = page.getByTestId('payment-row').filter({ hasText: paymentReference });
      await expect(row).toHaveCount(1);
      await expect(row).toContainText(DUPONT);
      await expect(row.getByTestId('payment-status')).toHaveText(SUCCEEDED_TEXT);

      await row.getByRole('link', { name: paymentReference }).click();
      await page.waitForURL((url) => url.pathname === `/back/payments/${paymentId}`);

      await expect(page.getByTestId('payment-reference')).toHaveText(paymentReference);
      await expect(page.getByTestId('payment-status')).toHaveText(SUCCEEDED_TEXT);
      await expect(page.getByTestId('payment-amount')).toHaveText(paymentTotal);
      await expect(page.locator('main')).toContainText(DUPONT);
      await expect(page.getByTestId('gateway-ref')).toHaveText(/^\s*sandbox pi_sbx_[a-z0-9]+\s*$/);
      for (const inv of paidInvoices) {
        await expect(page.locator('main')).toContainText(inv.number);
      }
    } finally {
      await context.close();
    }
  });
});
