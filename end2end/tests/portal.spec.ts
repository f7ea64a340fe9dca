// (a) A client contact signs in, sees only their own account, browses their
// invoices and downloads one as a PDF.

import { expect, test } from '@playwright/test';
import { DUPONT, HARBOUR, PORTAL_HOME, USERS, firstBytes, idFromLink, login, sessionCookie } from './helpers';

test.describe('client portal', () => {
  test('client lands on the portal overview of their own account only', async ({ page, context }) => {
    await login(page, USERS.client, PORTAL_HOME);
    expect(await sessionCookie(context), 'session cookie set').toBeTruthy();

    await expect(page.getByRole('heading', { level: 1, name: DUPONT })).toBeVisible();
    await expect(page.getByTestId('balance-due')).toBeVisible();
    await expect(page.getByTestId('overdue-amount')).toBeVisible();
    await expect(page.getByTestId('next-due')).toBeVisible();
    await expect(page.locator('body')).not.toContainText(HARBOUR);
  });

  test('invoice list only links to the portal pages of own invoices', async ({ page }) => {
    await login(page, USERS.client, PORTAL_HOME);
    await page.goto('/portal/invoices?filter=all');

    await expect(page.getByTestId('filter-all')).toHaveAttribute('aria-current', 'page');
    const rows = page.getByTestId('invoice-row');
    await expect(rows.first()).toBeVisible();
    const hrefs = await rows.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) {
      expect(href).toMatch(/^\/portal\/invoices\/\d+$/);
    }
    await expect(page.locator('body')).not.toContainText(HARBOUR);
  });

  test('opening an invoice shows its number and the PDF downloads', async ({ page }) => {
    await login(page, USERS.client, PORTAL_HOME);
    await page.goto('/portal/invoices?filter=all');

    const link = page.getByTestId('invoice-row').first().locator('a').first();
    await expect(link).toBeVisible();
    const number = ((await link.textContent()) ?? '').trim();
    expect(number).not.toBe('');
    const id = await idFromLink(link, /^\/portal\/invoices\/(\d+)$/);

    await link.click();
    await page.waitForURL((url) => url.pathname === `/portal/invoices/${id}`);
    await expect(page.getByTestId('invoice-number')).toHaveText(number);
    await expect(page.getByTestId('amount-due')).toBeVisible();
    await expect(page.locator('main')).toContainText(DUPONT);

    const pdfLink = page.getByTestId('download-pdf');
    await expect(pdfLink).toHaveAttribute('href', `/invoices/${id}/pdf`);
    const downloadPromise = page.waitForEvent('download');
    await pdfLink.click();
    const download = await downloadPromise;
    expect(download.suggestedFilename()).toBe(`${number}.pdf`);
    expect(await download.failure()).toBeNull();
    const path = await download.path();
    expect(await firstBytes(path, 4)).toBe('%PDF');
  });

  test('the PDF endpoint answers with an attachment to the signed-in owner of the invoice', async ({ page }) => {
    await login(page, USERS.client, PORTAL_HOME);
    await page.goto('/portal/invoices?filter=all');
    const link = page.getByTestId('invoice-row').first().locator('a').first();
    await expect(link).toBeVisible();
    const number = ((await link.textContent()) ?? '').trim();
    const id = await idFromLink(link, /^\/portal\/invoices\/(\d+)$/);

    // page.request shares the context's cookies (the session).
    const res = await page.request.get(`/invoices/${id}/pdf`, { maxRedirects: 0 });
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('application/pdf');
    const disposition = res.headers()['content-disposition'] ?? '';
    expect(disposition).toContain('attachment');
    expect(disposition).toContain(`${number}.pdf`);
    const body = await res.body();
    expect(body.subarray(0, 4).toString('latin1')).toBe('%PDF');
  });
});
