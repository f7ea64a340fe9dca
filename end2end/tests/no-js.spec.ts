// (f) The pages work before (and without) the wasm bundle: server-rendered
// HTML and plain form posts.

import { expect, test } from '@playwright/test';
import {
  BAD_CREDENTIALS_FR,
  DUPONT,
  HARBOUR,
  PASSWORD,
  PORTAL_HOME,
  USERS,
  sessionCookie,
  submitLogin,
} from './helpers';

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the sign-in form posts, redirects and the portal shows the balance', async ({ page, context }) => {
    // The form posts to /api/auth/login; the server answers with a redirect.
    await submitLogin(page, USERS.client, PASSWORD);
    await page.waitForURL((url) => url.pathname === PORTAL_HOME);
    expect(await sessionCookie(context)).toBeTruthy();

    await expect(page.getByRole('heading', { level: 1, name: DUPONT })).toBeVisible();
    const balance = page.getByTestId('balance-due');
    await expect(balance).toBeVisible();
    await expect(balance.locator('.amount')).toHaveText(/\d/);
    await expect(page.locator('body')).not.toContainText(HARBOUR);
  });

  test('the form posts to the sign-in server function', async ({ page }) => {
    await page.goto('/login');
    const form = page.getByTestId('login-form');
    await expect(form).toHaveAttribute('method', /post/i);
    await expect(form).toHaveAttribute('action', /\/api\/auth\/login$/);
  });

  test('invoice list and detail render on the server', async ({ page }) => {
    await submitLogin(page, USERS.client, PASSWORD);
    await page.waitForURL((url) => url.pathname === PORTAL_HOME);

    await page.goto('/portal/invoices?filter=all');
    const link = page.getByTestId('invoice-row').first().locator('a').first();
    await expect(link).toBeVisible();
    const number = ((await link.textContent()) ?? '').trim();
    await link.click();
    await page.waitForURL(/\/portal\/invoices\/\d+$/);
    await expect(page.getByTestId('invoice-number')).toHaveText(number);
  });

  test('a wrong password comes back to /login with the error', async ({ page, context }) => {
    await submitLogin(page, USERS.client2, 'not-the-password-either');
    await page.waitForURL((url) => url.pathname === '/login');
    await expect(page.getByRole('alert')).toContainText(BAD_CREDENTIALS_FR);
    expect(await sessionCookie(context)).toBeUndefined();
  });

  test('the language switch is a plain form', async ({ page }) => {
    await page.goto('/login');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await page.getByTestId('switch-language').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  });
});
