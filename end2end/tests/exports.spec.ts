import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { BACK_HOME, loginReady, newContext, USERS, watchProblems } from './helpers';

// The bookkeeper's exports (/back/exports): a period, then each file
// downloads under its name; the invoice list exports what it shows.

test('the accountant downloads the period’s ledger, invoices and FEC', async ({ page }) => {
  const problems = watchProblems(page);
  await loginReady(page, USERS.accountant, BACK_HOME);
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Exports' }).click();
  await page.waitForURL((url) => url.pathname === '/back/exports');
  await expect(page.getByRole('heading', { level: 1, name: 'Exports comptables' })).toBeVisible();
  const year = new Date().getFullYear();
  await page.getByTestId('export-from').fill(`${year}-01-01`);
  await page.getByTestId('export-period').getByRole('button').click();
  await page.waitForURL((url) => url.searchParams.get('from') === `${year}-01-01`);

  const ledger = page.getByTestId('export-file').and(page.locator('[data-file="ledger"]'));
  const [csv] = await Promise.all([page.waitForEvent('download'), ledger.getByRole('link', { name: 'CSV' }).click()]);
  expect(csv.suggestedFilename()).toMatch(new RegExp(`^ecritures-${year}-01-01-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const text = await readFile((await csv.path())!, 'utf-8');
  expect(text.split('\n')[0]).toContain('Débit;Crédit');
  expect(text.split('\n').length).toBeGreaterThan(2);

  const invoices = page.getByTestId('export-file').and(page.locator('[data-file="invoices"]'));
  const [xlsx] = await Promise.all([page.waitForEvent('download'), invoices.getByRole('link', { name: 'Excel' }).click()]);
  expect(xlsx.suggestedFilename()).toMatch(/^factures-.*\.xlsx$/);
  const bytes = await readFile((await xlsx.path())!);
  expect(bytes.subarray(0, 2).toString()).toBe('PK');

  const fec = page.getByTestId('export-file').and(page.locator('[data-file="fec"]'));
  const [txt] = await Promise.all([page.waitForEvent('download'), fec.getByRole('link', { name: 'FEC' }).click()]);
  expect(txt.suggestedFilename()).toMatch(/FEC\d{8}\.txt$/);
  const head = (await readFile((await txt.path())!)).toString('latin1').split('\r\n')[0];
  expect(head.split('\t')).toHaveLength(18);
  expect(problems).toEqual([]);
});

test('a collector exports their invoice list and has no books to download', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await loginReady(page, USERS.camille, BACK_HOME);
  await page.goto('/back/invoices?filter=overdue', { waitUntil: 'networkidle' });
  const shown = await page.getByTestId('invoice-row').count();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('invoice-export-csv').click()]);
  const lines = (await readFile((await csv.path())!, 'utf-8')).trim().split('\n');
  // The list shows a page of it at most; the file has it all, the header first.
  expect(lines.length - 1).toBeGreaterThanOrEqual(shown);
  expect(lines.join('\n')).not.toContain('Harbour Logistics Ltd');
  await expect(page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Exports' })).toHaveCount(0);
  const res = await page.goto('/back/exports/ledger.csv');
  expect(res!.status()).toBe(403);
  await context.close();
});

test('a client downloads their account statement for a period, as CSV and PDF', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await loginReady(page, USERS.client, '/portal');
  await page.goto('/portal/history', { waitUntil: 'networkidle' });
  const form = page.getByTestId('statement-form');
  const year = new Date().getFullYear();
  await form.getByTestId('statement-from').fill(`${year}-01-01`);
  const [csv] = await Promise.all([page.waitForEvent('download'), form.getByTestId('statement-csv').click()]);
  expect(csv.suggestedFilename()).toMatch(new RegExp(`^releve-C0001-${year}-01-01-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const rows = (await readFile((await csv.path())!, 'utf-8')).split('\n');
  expect(rows[0]).toContain('Boulangerie Dupont SARL');
  expect(rows.some((r) => r.includes('Solde reporté'))).toBe(true);
  expect(rows.some((r) => r.includes('Solde à la fin de la période'))).toBe(true);
  const [pdf] = await Promise.all([page.waitForEvent('download'), form.getByTestId('statement-pdf').click()]);
  expect(pdf.suggestedFilename()).toMatch(/^releve-C0001-.*\.pdf$/);
  expect((await readFile((await pdf.path())!)).subarray(0, 4).toString()).toBe('%PDF');
  expect(problems).toEqual([]);
  await context.close();
});
