// (c) Signing in with a wrong password shows a clear message and stays on
// the sign-in page; signed-out visitors are sent to the sign-in page.

import { expect, test } from '@playwright/test';
import { BAD_CREDENTIALS_EN, BAD_CREDENTIALS_FR, USERS, sessionCookie, submitLogin } from './helpers';

test.describe('sign-in errors', () => {
  test('a wrong password shows the error and stays on /login', async ({ page, context }) => {
    // Wait for the wasm bundle so the form is submitted by the hydrated app
    // (the no-JavaScript path is covered in no-js.spec.ts).
    await submitLogin(page, USERS.accountant, 'definitely-not-the-password', { waitUntil: 'networkidle' });
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(BAD_CREDENTIALS_FR);
    await expect(page).toHaveURL(/\/login(\?|$)/);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await sessionCookie(context)).toBeUndefined();
    // The form is still there to try again.
    await expect(page.getByTestId('login-form')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Se connecter' })).toBeEnabled();
  });

  test('an unknown address gets the same message, in English after switching', async ({ page, context }) => {
    await page.goto('/login');
    await page.getByTestId('switch-language').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

    const unknown = `nobody-${Date.now()}@relance.demo`;
    await submitLogin(page, unknown, 'relance-demo');
    await expect(page.getByRole('alert')).toContainText(BAD_CREDENTIALS_EN);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await sessionCookie(context)).toBeUndefined();
  });

  test('signed-out visitors are sent to the sign-in page, keeping where they were going', async ({ page }) => {
    await page.goto('/portal/invoices?filter=all');
    await page.waitForURL((url) => url.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/portal/invoices?filter=all');
  });
});
