// Your own books in: the owner enters a customer account and an invoice
// through the back-office forms; the contact invited to the portal sees
// the invoice, pays part of it by card and downloads its PDF; the
// accountant records the bank transfer that pays the rest. Everything the
// test touches it creates itself.

import { expect, test } from '@playwright/test';
import {
  BACK_HOME,
  PORTAL_HOME,
  USERS,
  createAccount,
  createInvoice,
  firstBytes,
  inviteClient,
  loginReady,
  newContext,
  payWithNewCard,
} from './helpers';

const SIREN_INVALID = 'SIREN invalide : 9 chiffres dont une clé de contrôle.';
const CLIENT_PASSWORD = 'un-mot-de-passe-e2e-solide';

test('the owner enters a customer and an invoice; the client pays part by card, the accountant records a transfer for the rest', async ({ browser }) => {
  test.setTimeout(120_000);
  const owner = await newContext(browser);
  const client = await newContext(browser);
  const accountant = await newContext(browser);
  try {
    const page = await owner.newPage();
    await loginReady(page, USERS.owner, BACK_HOME);

    // A SIREN whose key is wrong is refused on its field; nothing is created.
    await page.getByTestId('new-account').click();
    await page.waitForURL((url) => url.pathname === '/back/accounts/new');
    await page.waitForLoadState('networkidle');
    const form = page.getByTestId('account-form');
    await form.getByTestId('account-legal-name').fill('Erreur de clé SARL');
    await form.getByTestId('account-siren').fill('123 456 788');
    await form.getByTestId('account-emails').fill('compta@erreur.example');
    await form.getByTestId('account-save').click();
    await expect(form.getByTestId('error-siren')).toHaveText(SIREN_INVALID);
    expect(new URL(page.url()).pathname).toBe('/back/accounts/new');

    const name = `Atelier E2E ${Date.now()}`;
    const account = await createAccount(page, name);
    expect(account.code).toMatch(/^C-\d{5}$/);
    await expect(page.getByTestId('account-terms')).toContainText('30');

    // 3 × 33,33 + 1 × 200 = 299,99 HT; VAT 20 % on the total: 60,00; 359,99 TTC.
    const invoice = await createInvoice(page, account.id, [
      ['Conseil', '3', '33,33'],
      ['Formation', '1', '200'],
    ]);
    await expect(page.getByTestId('amount-due')).toContainText('359,99');

    // Sent to the billing address with its PDF and a pay link.
    await page.waitForLoadState('networkidle');
    await page.getByTestId('send-invoice').click();
    await expect(page.getByTestId('invoice-sent')).toBeVisible();
    await page.goto('/back/outbox');
    await expect(page.getByTestId('outbox').locator('details.mail').filter({ hasText: invoice.number }).first()).toBeVisible();

    const email = await inviteClient(browser, page, account, CLIENT_PASSWORD);
    const cp = await client.newPage();
    await loginReady(cp, email, PORTAL_HOME, CLIENT_PASSWORD);
    await expect(cp.getByRole('heading', { level: 1, name })).toBeVisible();
    await cp.goto('/portal/invoices');
    await expect(cp.getByRole('link', { name: invoice.number })).toBeVisible();

    // Part of it, by a new card: 100,00 €.
    await cp.goto(PORTAL_HOME, { waitUntil: 'networkidle' });
    await cp.getByTestId('pay-amount').fill('100');
    await cp.getByTestId('pay-amount').press('Enter');
    await cp.waitForURL((url) => url.pathname === '/portal/pay');
    await expect(cp.getByTestId('pay-total')).toContainText('100,00');
    await payWithNewCard(cp);
    await expect(cp.getByTestId('payment-succeeded')).toBeVisible();

    await cp.goto(`/portal/invoices/${invoice.id}`);
    await expect(cp.getByTestId('amount-due')).toContainText('259,99');
    const [download] = await Promise.all([cp.waitForEvent('download'), cp.getByTestId('download-pdf').click()]);
    expect(await firstBytes((await download.path())!, 5)).toBe('%PDF-');

    // The owner sees the payment on the account.
    await page.goto(`/back/invoices/${invoice.id}`);
    await expect(page.getByTestId('amount-due')).toContainText('259,99');

    // The rest arrives by bank transfer: the accountant records it on the
    // account, against this invoice.
    const ap = await accountant.newPage();
    await loginReady(ap, USERS.accountant, BACK_HOME);
    await ap.goto(`/back/accounts/${account.id}`, { waitUntil: 'networkidle' });
    await ap.getByTestId('record-payment').locator('summary').click();
    const rec = ap.getByTestId('record-payment-form');
    await rec.getByTestId('received-channel').selectOption('transfer');
    await rec.getByTestId('received-amount').fill('259,99');
    await rec.getByTestId('received-reference').fill('VIR SEPA ATELIER E2E');
    await rec.getByTestId(`part-${invoice.number}`).fill('259,99');
    await rec.getByTestId('record-payment-submit').click();
    await ap.waitForURL((url) => /^\/back\/payments\/\d+$/.test(url.pathname));
    await expect(ap.getByTestId('payment-method')).toHaveText('Virement');
    await expect(ap.getByTestId('payer-reference')).toHaveText('VIR SEPA ATELIER E2E');
    await ap.goto(`/back/invoices/${invoice.id}`);
    await expect(ap.getByTestId('amount-due')).toContainText('0,00');
    await expect(ap.getByTestId('invoice-state').first()).toHaveText('Payée');

    // The client sees it paid, and the transfer among their payments.
    await cp.goto(`/portal/invoices/${invoice.id}`);
    await expect(cp.getByTestId('invoice-state').first()).toHaveText('Payée');
    await cp.goto('/portal/payments');
    await expect(cp.getByTestId('payment-row').filter({ hasText: 'Virement' })).toHaveCount(1);
  } finally {
    await accountant.close();
    await client.close();
    await owner.close();
  }
});

test('an invoice offering 2 % for payment within 10 days costs 2 % less in the portal, and the discount becomes a credit note', async ({ browser }) => {
  test.setTimeout(120_000);
  const owner = await newContext(browser);
  const client = await newContext(browser);
  try {
    const page = await owner.newPage();
    await loginReady(page, USERS.owner, BACK_HOME);
    const account = await createAccount(page, `Escompte E2E ${Date.now()}`);
    // 500,00 HT + 100,00 VAT = 600,00; 2 % = 12,00; 588,00 to pay.
    const invoice = await createInvoice(page, account.id, [['Audit', '1', '500']], { discount: ['2', '10'] });
    await expect(page.getByTestId('amount-due')).toContainText('600,00');

    const email = await inviteClient(browser, page, account, CLIENT_PASSWORD);
    const cp = await client.newPage();
    await loginReady(cp, email, PORTAL_HOME, CLIENT_PASSWORD);
    await cp.goto(`/portal/invoices/${invoice.id}`, { waitUntil: 'networkidle' });
    await expect(cp.getByTestId('early-offer')).toContainText('588,00');
    await cp.getByTestId('pay-invoice').click();
    await cp.waitForURL((url) => url.pathname === '/portal/pay');
    await expect(cp.getByTestId('pay-discount')).toContainText('Escompte de 2');
    await expect(cp.getByTestId('pay-discount')).toContainText('12,00');
    await expect(cp.getByTestId('pay-total')).toContainText('588,00');
    await expect(cp.getByTestId('pay-submit')).toContainText('588,00');
    await payWithNewCard(cp);
    await expect(cp.getByTestId('payment-succeeded')).toBeVisible();
    await expect(cp.getByTestId('payment-amount')).toContainText('588,00');
    await expect(cp.getByTestId('payment-discount')).toContainText('12,00');

    // Settled in full: the payment and a credit note for the discount.
    await cp.goto(`/portal/invoices/${invoice.id}`);
    await expect(cp.getByTestId('invoice-state').first()).toHaveText('Payée');
    await expect(cp.getByTestId('amount-due')).toContainText('0,00');
    await expect(cp.getByTestId('early-offer')).toHaveCount(0);
    await expect(cp.getByTestId('applied-credit-note-pdf')).toHaveCount(1);
  } finally {
    await client.close();
    await owner.close();
  }
});
