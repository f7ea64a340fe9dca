// (e) A client cannot reach another account's invoice, neither its page nor
// its PDF, even with the exact URL.

import { expect, test } from '@playwright/test';
import {
  HARBOUR,
  NO_ACCESS_TEXT,
  PORTAL_HOME,
  USERS,
  asOwner,
  firstBytes,
  harbourInvoiceId,
  login,
  newContext,
} from './helpers';

test.describe('client scope', () => {
  test("another account's invoice page is not found", async ({ page, browser }) => {
    const id = await asOwner(browser, harbourInvoiceId);

    await login(page, USERS.client, PORTAL_HOME);
    for (const path of [`/portal/invoices/${id}`, `/back/invoices/${id}`]) {
      await page.goto(path);
      // The server may instead send a client away from /back: then no error
      // is shown, but nothing of the invoice may be either.
      if (new URL(page.url()).pathname === path) {
        await expect(page.getByRole('alert').first()).toContainText(NO_ACCESS_TEXT);
      }
      await expect(page.getByTestId('invoice-number')).toHaveCount(0);
      await expect(page.getByTestId('download-pdf')).toHaveCount(0);
      await expect(page.locator('body')).not.toContainText(HARBOUR);
    }
  });

  test("another account's invoice PDF is a 404 without a PDF", async ({ page, browser }) => {
    const id = await asOwner(browser, harbourInvoiceId);

    await login(page, USERS.client, PORTAL_HOME);
    const res = await page.request.get(`/invoices/${id}/pdf`, { maxRedirects: 0 });
    expect(res.status()).toBe(404);
    expect(res.headers()['content-type'] ?? '').not.toContain('application/pdf');
    expect(res.headers()['content-disposition'] ?? '').not.toContain('attachment');
    const body = await res.body();
    expect(body.subarray(0, 4).toString('latin1')).not.toBe('%PDF');
    expect(body.toString('latin1')).not.toContain(HARBOUR);
  });

  test('the same invoice opens for its own contact (control)', async ({ page, browser }) => {
    const id = await asOwner(browser, harbourInvoiceId);

    await login(page, USERS.client2, PORTAL_HOME);
    await page.goto(`/portal/invoices/${id}`);
    await expect(page.getByTestId('invoice-number')).toBeVisible();
    await expect(page.locator('main')).toContainText(HARBOUR);

    const downloadPromise = page.waitForEvent('download');
    await page.getByTestId('download-pdf').click();
    const download = await downloadPromise;
    expect(await firstBytes(await download.path(), 4)).toBe('%PDF');
  });

  test('signed out, the PDF is not served', async ({ browser }) => {
    const context = await newContext(browser);
    try {
      const id = await asOwner(browser, harbourInvoiceId);
      const res = await context.request.get(`/invoices/${id}/pdf`, { maxRedirects: 0 });
      expect(res.status()).not.toBe(200);
      expect(res.headers()['content-type'] ?? '').not.toContain('application/pdf');
      const body = await res.body();
      expect(body.subarray(0, 4).toString('latin1')).not.toBe('%PDF');
    } finally {
      await context.close();
    }
  });
});
