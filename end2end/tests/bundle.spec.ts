import { expect, test, type Page } from '@playwright/test';
import { BACK_HOME, DUPONT, loginReady, PORTAL_HOME, USERS, watchProblems } from './helpers';

// The browser's bundle is split by group of pages (app/src/pages.rs): a
// client downloads the main part and the portal's (paying, promises and
// disputes when opened), never the back-office's;
// each page's parts are preloaded from its <head>; moving between pages of
// one group loads no new part.

/** The bundle parts (`*.split_<group>_pages_*.wasm`) the page fetched from now on. */
function watchParts(page: Page): string[] {
  const parts: string[] = [];
  page.on('request', (r) => {
    const m = /\.split_(\w+?)_pages_\d+\.wasm$/.exec(new URL(r.url()).pathname);
    if (m) parts.push(m[1]);
  });
  return parts;
}

test('a client downloads the sign-in and portal parts only, preloaded by each page, and pages hydrate', async ({ page }) => {
  const problems = watchProblems(page);
  const parts = watchParts(page);

  const login = await page.goto('/login', { waitUntil: 'networkidle' });
  const html = await login!.text();
  expect(html).toMatch(/<link[^>]+href="\/pkg\/[^"]+\.split_auth_pages_\d+\.wasm"[^>]*rel="preload"|<link[^>]+rel="preload"[^>]+href="\/pkg\/[^"]+\.split_auth_pages_\d+\.wasm"/);
  expect(html).not.toContain('split_back_pages');
  expect(parts).toEqual(['auth']);

  await loginReady(page, USERS.client, PORTAL_HOME);
  await expect(page.getByRole('heading', { level: 1, name: DUPONT })).toBeVisible();
  expect(parts).toContain('portal');

  // Client-side navigation inside the portal: no new part, the page renders.
  const before = parts.length;
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Factures' }).click();
  await page.waitForURL((url) => url.pathname === '/portal/invoices');
  await expect(page.getByRole('heading', { level: 1, name: 'Factures' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(parts.length).toBe(before);

  // Paying, promises and disputes are parts of their own, loaded when
  // first opened, and their pages render.
  const nav = page.getByRole('navigation', { name: 'main' });
  await nav.getByRole('link', { name: 'Paiements', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/portal/payments');
  await expect(page.getByRole('heading', { level: 1, name: 'Paiements' })).toBeVisible();
  expect(parts).toContain('pay');
  await nav.getByRole('link', { name: 'Promesses de paiement' }).click();
  await page.waitForURL((url) => url.pathname === '/portal/promises');
  await expect(page.getByRole('heading', { level: 1, name: 'Promesses de paiement' })).toBeVisible();
  expect(parts).toContain('hold');

  expect(parts).not.toContain('back');
  expect(problems).toEqual([]);
});

test('staff load the back-office part, and its pages hydrate', async ({ page }) => {
  const problems = watchProblems(page);
  const parts = watchParts(page);
  await loginReady(page, USERS.owner, BACK_HOME);
  expect(parts).toContain('back');
  expect(parts).not.toContain('portal');
  expect(problems).toEqual([]);
});
