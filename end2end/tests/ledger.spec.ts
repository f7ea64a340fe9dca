// Test mode said on every page, and pay links that staff can turn off, in
// French and in English, with the wasm bundle loaded; bad input on the way
// gets a message in the reader's language and moves no money.

import { expect, test } from '@playwright/test';
import { BACK_HOME, DUPONT, HARBOUR, PORTAL_HOME, USERS, login, newContext, watchProblems } from './helpers';

const TEST_MODE_BAR = 'Mode test : les paiements sont simulés, aucun argent réel ne circule.';
const LINK_ONCE = 'Copiez ce lien maintenant : il ne sera plus affiché.';
const LINK_REVOKED = 'Ce lien de paiement a été désactivé. Demandez-en un nouveau.';
const EN = {
  testModeBar: 'Test mode: payments are simulated, no real money moves.',
  linkOnce: 'Copy this link now: it will not be shown again.',
  linkRevoked: 'This payment link has been turned off. Please ask for a new one.',
  badAmount: 'Enter a positive amount.',
  badCard: 'This card number is not valid.',
};

test.describe('test mode and pay links', () => {
  test('every page says test mode while payments run in the sandbox', async ({ page, browser }) => {
    await login(page, USERS.client, PORTAL_HOME);
    for (const path of [PORTAL_HOME, '/portal/invoices', '/portal/payments', '/portal/methods']) {
      await page.goto(path, { waitUntil: 'networkidle' });
      await expect(page.getByTestId('test-mode-bar'), path).toHaveText(TEST_MODE_BAR);
    }
    const staff = await newContext(browser);
    try {
      const back = await staff.newPage();
      await login(back, USERS.owner, BACK_HOME);
      await expect(back.getByTestId('test-mode-bar')).toHaveText(TEST_MODE_BAR);
    } finally {
      await staff.close();
    }
  });

  test('a collector makes a pay link, sees it listed, turns it off, and it opens nothing', async ({ page, browser }) => {
    const problems = watchProblems(page);
    await login(page, USERS.camille, BACK_HOME);
    // An open invoice of Dupont (Camille's portfolio).
    await page.goto(`/back/invoices?filter=open&q=${encodeURIComponent('Dupont')}`, { waitUntil: 'networkidle' });
    const row = page.getByTestId('invoice-row').filter({ hasText: DUPONT }).first();
    await expect(row).toBeVisible();
    await row.locator('td').first().locator('a').click();
    await page.waitForURL((url) => /^\/back\/invoices\/\d+$/.test(url.pathname));
    await page.waitForLoadState('networkidle');
    const number = (await page.getByTestId('invoice-number').textContent())?.trim() ?? '';

    const form = page.getByTestId('pay-link-form');
    await form.getByRole('button', { name: 'Créer un lien de paiement' }).click();
    const link = form.getByTestId('pay-link');
    await expect(link).toHaveValue(/\/pay\/[A-Za-z0-9_.-]+$/);
    await expect(form).toContainText(LINK_ONCE);
    const url = await link.inputValue();
    const links = page.getByTestId('pay-links');
    await expect(links.locator('tbody tr')).toHaveCount(1);
    await expect(links.locator('tbody tr').first()).toContainText('Actif');
    await expect(links).not.toContainText(url.split('/pay/')[1]);

    // The client opens it: that invoice, payable.
    const payer = await newContext(browser);
    try {
      const p = await payer.newPage();
      await p.goto(url, { waitUntil: 'networkidle' });
      await expect(p.getByTestId('link-invoice')).toHaveText(number);
      await expect(p.getByTestId('test-mode')).toBeVisible();

      // Turned off by the collector: it opens nothing any more.
      await links.getByRole('button', { name: 'Désactiver' }).click();
      await expect(links.locator('tbody tr').first()).toContainText('Désactivé');
      await p.goto(url, { waitUntil: 'networkidle' });
      await expect(p.getByRole('alert')).toContainText(LINK_REVOKED);
      await expect(p.getByTestId('link-invoice')).toHaveCount(0);
    } finally {
      await payer.close();
    }
    expect(problems).toEqual([]);
  });

  test('in English: test mode, a bad amount, a bad card on a pay link, then the link turned off', async ({ page, browser }) => {
    const problems = watchProblems(page);
    // Harbour's contact reads English: the bar, and a chosen amount that is not one.
    await login(page, USERS.client2, PORTAL_HOME);
    await expect(page.getByTestId('test-mode-bar')).toHaveText(EN.testModeBar);
    const balance = await page.getByTestId('balance-due').textContent();
    await page.getByTestId('pay-amount').fill('-12');
    await page.getByTestId('pay-amount').press('Enter');
    await page.waitForURL((url) => url.pathname === '/portal/pay');
    await expect(page.getByRole('alert')).toContainText(EN.badAmount);
    await expect(page.getByTestId('pay-form')).toHaveCount(0);

    // James (English) makes a pay link for an open Harbour invoice.
    const staff = await newContext(browser);
    const payer = await newContext(browser, { locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en' } });
    try {
      const back = await staff.newPage();
      await login(back, USERS.james, BACK_HOME);
      await expect(back.getByTestId('test-mode-bar')).toHaveText(EN.testModeBar);
      await back.goto(`/back/invoices?filter=open&q=${encodeURIComponent('Harbour')}`, { waitUntil: 'networkidle' });
      const row = back.getByTestId('invoice-row').filter({ hasText: HARBOUR }).first();
      await row.locator('td').first().locator('a').click();
      await back.waitForURL((url) => /^\/back\/invoices\/\d+$/.test(url.pathname));
      await back.waitForLoadState('networkidle');
      const number = (await back.getByTestId('invoice-number').textContent())?.trim() ?? '';
      const form = back.getByTestId('pay-link-form');
      await form.getByRole('button', { name: 'Create a pay link' }).click();
      await expect(form).toContainText(EN.linkOnce);
      const url = await form.getByTestId('pay-link').inputValue();
      const links = back.getByTestId('pay-links');
      await expect(links.locator('tbody tr').first()).toContainText('Active');

      // The payer types a card number that fails its check digit: told so, nothing paid.
      const p = await payer.newPage();
      await p.goto(url, { waitUntil: 'networkidle' });
      await expect(p.getByTestId('link-invoice')).toHaveText(number);
      const due = await p.getByTestId('link-amount-due').textContent();
      const pay = p.getByTestId('link-pay-form');
      await pay.getByTestId('card-number').fill('4242 4242 4242 4241');
      await pay.getByTestId('card-expiry').fill('12/30');
      await pay.getByTestId('card-cvc').fill('123');
      await pay.getByTestId('link-pay-submit').click();
      await expect(pay.getByTestId('error-card_number')).toHaveText(EN.badCard);
      await p.reload({ waitUntil: 'networkidle' });
      await expect(p.getByTestId('link-amount-due')).toHaveText(due ?? '');

      // Turned off: the link opens nothing, in English.
      await links.getByRole('button', { name: 'Turn off' }).click();
      await expect(links.locator('tbody tr').first()).toContainText('Turned off');
      await p.goto(url, { waitUntil: 'networkidle' });
      await expect(p.getByRole('alert')).toContainText(EN.linkRevoked);
      await expect(p.getByTestId('link-invoice')).toHaveCount(0);
    } finally {
      await staff.close();
      await payer.close();
    }
    // Nothing moved on Harbour's account.
    await page.goto(PORTAL_HOME, { waitUntil: 'networkidle' });
    await expect(page.getByTestId('balance-due')).toHaveText(balance ?? '');
    expect(problems).toEqual([]);
  });
});

