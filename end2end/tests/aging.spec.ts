import { expect, test } from '@playwright/test';
import {
  BACK_HOME,
  createAccount,
  importInvoices,
  isoDaysFromToday,
  loginReady,
  minorUnits,
  newContext,
  USERS,
  watchProblems,
} from './helpers';

// The aging report (/back/aging): a cell drills down to exactly its
// invoices; an account's row holds its own invoices in the right buckets;
// a past day is rebuilt from the ledger.

test('the 61–90 cell drills down to exactly its invoices', async ({ browser, page }) => {
  const problems = watchProblems(page);
  // An account of this test's own with one invoice 75 days past due and
  // one 10 days past due.
  const stamp = Date.now();
  await loginReady(page, USERS.owner, BACK_HOME);
  const account = await createAccount(page, `Vieillissement ${stamp} SAS`);
  const [late, recent] = await importInvoices(browser, account.code, [
    { number: `AG-${stamp}-75`, issued: isoDaysFromToday(-105), due: isoDaysFromToday(-75), net: 40_000, vat: 8_000 },
    { number: `AG-${stamp}-10`, issued: isoDaysFromToday(-40), due: isoDaysFromToday(-10), net: 10_000, vat: 2_000 },
  ]);

  // Its row: each invoice in its bucket, nothing elsewhere.
  await page.goto('/back/aging', { waitUntil: 'networkidle' });
  await expect(page.getByRole('heading', { level: 1, name: 'Balance âgée' })).toBeVisible();
  const row = page.getByTestId('aging-row').and(page.locator(`[data-key="${account.id}"]`));
  await expect(row).toHaveCount(1);
  await expect(row.locator('[data-bucket="61-90"]')).toHaveAttribute('data-minor', String(late.total));
  await expect(row.locator('[data-bucket="1-30"]')).toHaveAttribute('data-minor', String(recent.total));
  for (const bucket of ['not-due', '31-60', '91-120', '121-']) {
    await expect(row.locator(`[data-bucket="${bucket}"]`)).toHaveAttribute('data-minor', '0');
  }

  // The row's 61–90 cell: that invoice alone.
  await row.locator('[data-bucket="61-90"] a').click();
  await page.waitForURL((url) => url.pathname === '/back/aging/invoices');
  await expect(page.getByTestId('aging-invoice')).toHaveCount(1);
  await expect(page.getByTestId('aging-invoice')).toHaveAttribute('data-number', late.number);
  await expect(page.getByTestId('aging-cell-count')).toHaveText('1');

  // The portfolio's 61–90 cell: every invoice listed is 61 to 90 days
  // late, and they add up to the cell.
  await page.goto('/back/aging?group=currency', { waitUntil: 'networkidle' });
  const cell = page.getByTestId('aging-total').and(page.locator('[data-currency="EUR"]')).locator('[data-bucket="61-90"]');
  const cellMinor = Number(await cell.getAttribute('data-minor'));
  expect(cellMinor).toBeGreaterThanOrEqual(late.total);
  await cell.locator('a').click();
  await page.waitForURL((url) => url.pathname === '/back/aging/invoices');
  const listed = page.getByTestId('aging-invoice');
  const count = await listed.count();
  expect(count).toBeGreaterThan(0);
  await expect(page.getByTestId('aging-cell-count')).toHaveText(String(count));
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const r = listed.nth(i);
    const days = Number(await r.locator('td').nth(4).textContent());
    expect(days).toBeGreaterThanOrEqual(61);
    expect(days).toBeLessThanOrEqual(90);
    sum += minorUnits(await r.locator('td').nth(5).textContent());
  }
  expect(sum).toBe(cellMinor);
  expect(minorUnits(await page.getByTestId('aging-cell-total').textContent())).toBe(cellMinor);
  await expect(listed.and(page.locator(`[data-number="${late.number}"]`))).toHaveCount(1);

  // Back to the report, as of the day before the late invoice was issued:
  // not in it yet.
  await page.getByTestId('aging-back').click();
  await page.waitForURL((url) => url.pathname === '/back/aging');
  await page.getByTestId('aging-as-of').fill(isoDaysFromToday(-106));
  await page.getByTestId('aging-group').selectOption('account');
  await page.getByTestId('aging-filters').getByRole('button').click();
  await page.waitForURL((url) => url.searchParams.get('as_of') === isoDaysFromToday(-106));
  await expect(page.getByRole('heading', { level: 1, name: 'Balance âgée' })).toBeVisible();
  await expect(page.getByTestId('aging-row').and(page.locator(`[data-key="${account.id}"]`))).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('a collector sees only their own accounts in the aging', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await loginReady(page, USERS.camille, BACK_HOME);
  await page.goto('/back/aging', { waitUntil: 'networkidle' });
  const names = await page.getByTestId('aging-row').locator('th').allTextContents();
  expect(names.join('|')).not.toContain('Harbour Logistics Ltd');
  // No collector filter for a collector.
  await expect(page.getByTestId('aging-filters').locator('select[name="collector"]')).toHaveCount(0);
  await context.close();
});
