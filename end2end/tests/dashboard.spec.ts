import { expect, test } from '@playwright/test';
import { BACK_HOME, loginReady, newContext, PORTAL_HOME, payWithNewCard, USERS, watchProblems } from './helpers';

// The dashboard (/back/dashboard) updates by itself: the owner keeps it
// open, a client pays in another browser, the figures change without a
// reload.

test('the owner’s dashboard shows a client’s payment without a reload', async ({ browser, page }) => {
  const problems = watchProblems(page);
  await loginReady(page, USERS.owner, BACK_HOME);
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Tableau de bord' }).click();
  await page.waitForURL((url) => url.pathname === '/back/dashboard');
  await page.waitForLoadState('networkidle');
  const collected = page.getByTestId('dash-currency').and(page.locator('[data-currency="EUR"]')).getByTestId('dash-collected');
  const receivable = page.getByTestId('dash-currency').and(page.locator('[data-currency="EUR"]')).getByTestId('dash-receivable');
  const before = Number(await collected.getAttribute('data-minor'));
  const owedBefore = Number(await receivable.getAttribute('data-minor'));
  // Marks this very page: a reload would lose it.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

  const client = await newContext(browser);
  const cp = await client.newPage();
  await loginReady(cp, USERS.client, PORTAL_HOME);
  await cp.waitForLoadState('networkidle');
  await cp.getByTestId('pay-amount').fill('1');
  await cp.getByTestId('pay-amount').press('Enter');
  await cp.waitForURL((url) => url.pathname === '/portal/pay');
  await payWithNewCard(cp);
  await expect(cp.getByTestId('payment-succeeded')).toBeVisible();
  await client.close();

  await expect(collected).toHaveAttribute('data-minor', String(before + 100), { timeout: 20_000 });
  await expect(receivable).toHaveAttribute('data-minor', String(owedBefore - 100));
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  expect(problems).toEqual([]);
});

test('a collector’s dashboard holds their own accounts only', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await loginReady(page, USERS.camille, BACK_HOME);
  await page.goto('/back/dashboard', { waitUntil: 'networkidle' });
  await expect(page.getByTestId('dashboard')).toBeVisible();
  await expect(page.getByTestId('dashboard')).not.toContainText('Harbour Logistics Ltd');
  await context.close();
});
