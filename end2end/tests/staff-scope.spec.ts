// (d) Collectors see only their own portfolio, in lists and by direct URL.

import { expect, test, type Page } from '@playwright/test';
import {
  BACK_HOME,
  BASE_URL,
  DUPONT,
  FORBIDDEN_TEXT,
  HARBOUR,
  NO_ACCESS_TEXT,
  PORTAL_HOME,
  USERS,
  asOwner,
  harbourAccountId,
  login,
} from './helpers';

const NO_ACCOUNTS = /Aucun compte ne correspond\.|No matching accounts\./;

async function searchAccounts(page: Page, q: string): Promise<void> {
  await page.goto(`/back/accounts?q=${encodeURIComponent(q)}`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

test.describe('collector scope', () => {
  test('camille sees her portfolio (Dupont) and not Harbour', async ({ page }) => {
    await login(page, USERS.camille, BACK_HOME);

    const rows = page.getByTestId('account-row');
    await expect(rows.first()).toBeVisible();
    await expect(page.getByTestId('account-table')).not.toContainText(HARBOUR);

    // Searching makes the checks independent of pagination.
    await searchAccounts(page, 'Dupont');
    await expect(rows.filter({ hasText: DUPONT })).toHaveCount(1);

    await searchAccounts(page, 'Harbour');
    await expect(page.locator('main')).toContainText(NO_ACCOUNTS);
    await expect(rows).toHaveCount(0);
    await expect(page.locator('main')).not.toContainText(HARBOUR);
  });

  test('james sees Harbour and not Dupont', async ({ page }) => {
    await login(page, USERS.james, BACK_HOME);
    await expect(page.getByTestId('account-row').first()).toBeVisible();
    await expect(page.getByTestId('account-table')).not.toContainText(DUPONT);

    await searchAccounts(page, 'Harbour');
    await expect(page.getByTestId('account-row').filter({ hasText: HARBOUR })).toHaveCount(1);

    await searchAccounts(page, 'Dupont');
    await expect(page.locator('main')).toContainText(NO_ACCOUNTS);
    await expect(page.locator('main')).not.toContainText(DUPONT);
  });

  test("camille cannot open Harbour's account page by URL", async ({ page, browser }) => {
    const harbourId = await asOwner(browser, harbourAccountId);

    await login(page, USERS.camille, BACK_HOME);

    // Control: her own account page opens.
    await searchAccounts(page, 'Dupont');
    const own = page.getByTestId('account-row').filter({ hasText: DUPONT }).getByRole('link', { name: DUPONT });
    await own.click();
    await page.waitForURL(/\/back\/accounts\/\d+$/);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(DUPONT);

    // Harbour's, by URL: an error, and nothing of Harbour on the page.
    await page.goto(`/back/accounts/${harbourId}`);
    await expect(page.getByRole('alert').first()).toContainText(NO_ACCESS_TEXT);
    await expect(page.locator('main')).not.toContainText(HARBOUR);
    await expect(page.locator('main')).not.toContainText('C0002');
    await expect(page.getByTestId('ledger-table')).toHaveCount(0);
    await expect(page.getByTestId('invoice-row')).toHaveCount(0);

    // The server function behind the page refuses too.
    const res = await page.request.post('/api/back/account', {
      form: { id: String(harbourId) },
      headers: { Origin: BASE_URL, Accept: 'application/json' },
      maxRedirects: 0,
    });
    expect([403, 404]).toContain(res.status());
    expect(await res.text()).not.toContain(HARBOUR);
  });

  test('a client cannot use the back office', async ({ page }) => {
    await login(page, USERS.client, PORTAL_HOME);
    await page.goto(BACK_HOME);
    // Either the page refuses, or the server sends the client back home.
    if (new URL(page.url()).pathname.startsWith('/back')) {
      await expect(page.getByRole('alert').first()).toContainText(FORBIDDEN_TEXT);
    } else {
      expect(new URL(page.url()).pathname).toBe(PORTAL_HOME);
    }
    await expect(page.getByTestId('account-row')).toHaveCount(0);
    await expect(page.locator('main')).not.toContainText(HARBOUR);
  });
});
