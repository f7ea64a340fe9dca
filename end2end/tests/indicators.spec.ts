import { expect, test } from '@playwright/test';
import { BACK_HOME, loginReady, PASSWORD, submitLogin, USERS, watchProblems } from './helpers';

// Indicators (/back/indicators): twelve months per chart, drawn on the
// server as SVG, each with its formula in a tooltip the keyboard reaches,
// and every figure in a table.

test('the owner reads the indicators, their charts and formulas', async ({ page }) => {
  const problems = watchProblems(page);
  await loginReady(page, USERS.owner, BACK_HOME);
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Indicateurs' }).click();
  await page.waitForURL((url) => url.pathname === '/back/indicators');
  await page.waitForLoadState('networkidle');
  await expect(page.locator('figure.chart')).toHaveCount(9);
  const dso = page.getByTestId('kpi-dso-count-back');
  await expect(dso.getByRole('img', { name: 'DSO (méthode par épuisement)' })).toBeVisible();
  await expect(dso.locator('svg g.bar')).toHaveCount(12);
  // The formula: hidden until its button has focus, then shown, and read
  // as the button's description.
  const tip = dso.getByRole('tooltip');
  const button = dso.getByRole('button', { name: 'Formule' });
  await expect(tip).toBeHidden();
  await button.focus();
  await expect(tip).toBeVisible();
  await expect(button).toHaveAccessibleDescription(/Encours à la fin du mois/);
  await page.keyboard.press('Tab');
  await expect(tip).toBeHidden();
  // Every figure, month by month, the latest first.
  const rows = page.getByTestId('kpi-month');
  await expect(rows).toHaveCount(12);
  await expect(rows.first().locator('td[data-kpi="dso-count-back"]')).toHaveText(/^(\d+,\d\u00a0j|—)$/);
  await expect(rows.first().locator('td[data-kpi="cei"]')).toHaveText(/^(-?\d+,\d\u00a0%|—)$/);
  expect(problems).toEqual([]);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the charts are in the page the server sends', async ({ page }) => {
    await submitLogin(page, USERS.owner, PASSWORD);
    await page.waitForURL((url) => url.pathname.startsWith('/back'));
    await page.goto('/back/indicators');
    await expect(page.locator('figure.chart svg[role="img"]')).toHaveCount(9);
    await expect(page.locator('figure.chart svg desc').first()).toContainText(/\d{4}/);
    await expect(page.getByTestId('kpi-month')).toHaveCount(12);
  });
});
