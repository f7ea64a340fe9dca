// Test mode said on every page, and pay links that staff can turn off, in
// French, with the wasm bundle loaded.

import { expect, test } from '@playwright/test';
import { BACK_HOME, DUPONT, PORTAL_HOME, USERS, login, newContext, watchProblems } from './helpers';

const TEST_MODE_BAR = 'Mode test : les paiements sont simulés, aucun argent réel ne circule.';
const LINK_ONCE = 'Copiez ce lien maintenant : il ne sera plus affiché.';
const LINK_REVOKED = 'Ce lien de paiement a été désactivé. Demandez-en un nouveau.';

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
});
