import { expect, test, type Page } from '@playwright/test';
import { BACK_HOME, DUPONT, loginReady, PORTAL_HOME, USERS, watchProblems } from './helpers';

// The browser's bundle is split by group of pages (app/src/pages.rs). A
// client's first pages (signing in, the overview, the invoices, an invoice,
// the history) are documents: sent with no script, no wasm. The pages that
// need the bundle (paying, promises, disputes) load the main part and their
// group's, preloaded from their <head>; a client never downloads the
// back-office's.

/** The bundle parts (`*.split_<group>_pages_*.wasm`) the page fetched from now on. */
function watchParts(page: Page): string[] {
  const parts: string[] = [];
  page.on('request', (r) => {
    const m = /\.split_(\w+?)_pages_\d+\.wasm$/.exec(new URL(r.url()).pathname);
    if (m) parts.push(m[1]);
  });
  return parts;
}

/** Every script and wasm file the page requested from now on. */
function watchCode(page: Page): string[] {
  const code: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.resourceType() === 'script' || /\.(wasm|js)$/.test(path)) code.push(path);
  });
  return code;
}

test('a client\'s first pages are documents: no script, no wasm, and they work', async ({ page }) => {
  const problems = watchProblems(page);
  const code = watchCode(page);

  const login = await page.goto('/login', { waitUntil: 'networkidle' });
  const html = await login!.text();
  expect(html).not.toMatch(/\.wasm|<script[^>]+src=|modulepreload/);
  await expect(page.getByTestId('login-form')).toHaveAttribute('action', /\/api\/auth\/login$/);

  // Signing in is a form post answered by a redirect to the overview.
  await loginReady(page, USERS.client, PORTAL_HOME);
  await expect(page.getByRole('heading', { level: 1, name: DUPONT })).toBeVisible();
  // Nor the data a hydration would read (a hydrated page carries it).
  const overview = await (await page.request.get('/portal')).text();
  expect(overview).toContain('data-testid="balance-due"');
  expect(overview).not.toMatch(/__RESOLVED_RESOURCES\[\d/);
  expect(await (await page.request.get('/portal/payments')).text()).toMatch(/__RESOLVED_RESOURCES\[\d/);
  const nav = page.getByRole('navigation', { name: 'main' });
  await nav.getByRole('link', { name: 'Factures' }).click();
  await page.waitForURL((url) => url.pathname === '/portal/invoices');
  await expect(page.getByRole('heading', { level: 1, name: 'Factures' })).toBeVisible();
  const first = page.getByTestId('invoice-row').first().locator('a').first();
  const number = ((await first.textContent()) ?? '').trim();
  await first.click();
  await page.waitForURL(/\/portal\/invoices\/\d+$/);
  await expect(page.getByTestId('invoice-number')).toHaveText(number);
  await page.goto('/portal/history', { waitUntil: 'networkidle' });
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();

  expect(code).toEqual([]);
  expect(problems).toEqual([]);
});

test('a client\'s paying, promise and dispute pages load their own parts, preloaded, and hydrate; never the back-office', async ({ page }) => {
  const problems = watchProblems(page);
  const parts = watchParts(page);
  await loginReady(page, USERS.client, PORTAL_HOME);
  expect(parts).toEqual([]);

  const payments = await page.goto('/portal/payments', { waitUntil: 'networkidle' });
  const html = await payments!.text();
  expect(html).toMatch(/<link[^>]+href="\/pkg\/[^"]+\.split_pay_pages_\d+\.wasm"[^>]*rel="preload"|<link[^>]+rel="preload"[^>]+href="\/pkg\/[^"]+\.split_pay_pages_\d+\.wasm"/);
  expect(html).not.toContain('split_back_pages');
  await expect(page.getByRole('heading', { level: 1, name: 'Paiements' })).toBeVisible();
  expect(parts).toEqual(['pay']);

  // The router now runs: moving to the promises is a navigation in the
  // page, which loads that group's part, and the page renders.
  const nav = page.getByRole('navigation', { name: 'main' });
  const loads: string[] = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) loads.push(f.url());
  });
  await nav.getByRole('link', { name: 'Promesses de paiement' }).click();
  await page.waitForURL((url) => url.pathname === '/portal/promises');
  await expect(page.getByRole('heading', { level: 1, name: 'Promesses de paiement' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(parts).toContain('hold');
  // Moving between a group's pages loads nothing more.
  const before = parts.length;
  await nav.getByRole('link', { name: 'Litiges' }).click();
  await page.waitForURL((url) => url.pathname === '/portal/disputes');
  await page.waitForLoadState('networkidle');
  expect(parts.length).toBe(before);

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
