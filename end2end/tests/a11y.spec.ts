// Accessibility: axe-core (WCAG 2.1 A and AA rules) on every page of the
// portal and the back-office, in French and in English, after hydration.
// Each test lists every violation it found, page by page, before failing.
// Reads only; the owner's language is put back to French at the end.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { BACK_HOME, PORTAL_HOME, USERS, loginReady, newContext } from './helpers';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The violations axe finds on `path`, one line each. */
async function audit(page: Page, path: string, lang: string): Promise<string[]> {
  const res = await page.goto(path, { waitUntil: 'networkidle' });
  expect(res?.status(), `${path} answers`).toBeLessThan(400);
  await expect(page.locator('main')).toBeVisible();
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return result.violations.map(
    (v) => `${path} [${lang}]: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`,
  );
}

/** The first link on `list` whose path matches `pattern`, or null. */
async function firstLink(page: Page, list: string, pattern: RegExp): Promise<string | null> {
  await page.goto(list, { waitUntil: 'networkidle' });
  const hrefs = await page.locator('main a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  return hrefs.find((h) => pattern.test(h.split('?')[0])) ?? null;
}

async function portalPages(page: Page): Promise<string[]> {
  const invoice = await firstLink(page, '/portal/invoices?filter=all', /^\/portal\/invoices\/\d+$/);
  const open = await firstLink(page, '/portal/invoices', /^\/portal\/invoices\/\d+$/);
  const payment = await firstLink(page, '/portal/payments', /^\/portal\/payments\/\d+$/);
  const dispute = await firstLink(page, '/portal/disputes', /^\/portal\/disputes\/\d+$/);
  expect(invoice, 'the demo client has invoices').not.toBeNull();
  expect(open, 'and open ones').not.toBeNull();
  const openId = open?.split('/').pop();
  return [
    PORTAL_HOME,
    '/portal/invoices',
    '/portal/payments',
    '/portal/methods',
    '/portal/history',
    '/portal/promises',
    '/portal/disputes',
    '/settings/password',
    ...(invoice ? [invoice] : []),
    ...(openId ? [`/portal/pay?invoices=${openId}`, `/portal/promise?inv=${openId}`, `/portal/dispute?inv=${openId}`] : []),
    ...(payment ? [payment] : []),
    ...(dispute ? [dispute] : []),
  ];
}

async function backPages(page: Page): Promise<string[]> {
  const account = await firstLink(page, '/back/accounts', /^\/back\/accounts\/\d+$/);
  const invoice = await firstLink(page, '/back/invoices', /^\/back\/invoices\/\d+$/);
  const payment = await firstLink(page, '/back/payments', /^\/back\/payments\/\d+$/);
  const dispute = await firstLink(page, '/back/disputes', /^\/back\/disputes\/\d+$/);
  // The demo book has accounts and invoices (payments and disputes only
  // once other specs made some).
  expect(account && invoice, 'the demo book has accounts and invoices').toBeTruthy();
  return [
    BACK_HOME,
    '/back/accounts',
    '/back/accounts/new',
    '/back/invoices',
    '/back/payments',
    '/back/promises',
    '/back/disputes',
    '/back/team',
    '/back/outbox',
    '/back/imports',
    '/back/settings',
    '/back/reminders',
    '/back/reminders/approvals',
    '/back/reminders/calendar',
    '/back/prescription',
    '/back/rates',
    '/back/todo',
    '/back/aging',
    '/back/aging?group=segment&as_of=2026-01-31',
    '/back/aging/invoices?group=currency&in=EUR',
    '/back/exports',
    '/back/dashboard',
    '/back/indicators',
    ...(account ? [account, `${account}/edit`, `${account}/invoices/new`, `${account}/recurring/new`] : []),
    ...(invoice ? [invoice] : []),
    ...(payment ? [payment] : []),
    ...(dispute ? [dispute] : []),
  ];
}

async function auditAll(page: Page, paths: string[], lang: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) found.push(...(await audit(page, path, lang)));
  return found;
}

/** Switches the signed-in user's language (stored per user) from any page. */
async function switchTo(page: Page, lang: 'fr' | 'en'): Promise<void> {
  if ((await page.locator('html').getAttribute('lang')) === lang) return;
  await page.waitForLoadState('networkidle');
  await page.getByTestId('switch-language').click();
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
}

test.describe('accessibility (axe-core, WCAG 2.1 AA)', () => {
  test('the sign-in and password pages, in French and in English', async ({ page }) => {
    const found = await auditAll(page, ['/forgot', '/login'], 'fr');
    await page.getByTestId('switch-language').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    found.push(...(await auditAll(page, ['/login', '/forgot'], 'en')));
    expect(found, found.join('\n')).toEqual([]);
  });

  test("every page of the client's portal, in French and in English", async ({ browser }) => {
    test.setTimeout(180_000);
    const found: string[] = [];
    for (const [user, lang] of [
      [USERS.client, 'fr'],
      [USERS.client2, 'en'],
    ] as const) {
      const context = await newContext(browser);
      try {
        const page = await context.newPage();
        await loginReady(page, user, PORTAL_HOME);
        await expect(page.locator('html')).toHaveAttribute('lang', lang);
        found.push(...(await auditAll(page, await portalPages(page), lang)));
      } finally {
        await context.close();
      }
    }
    expect(found, found.join('\n')).toEqual([]);
  });

  test('every page of the back-office, in French and in English', async ({ browser }) => {
    test.setTimeout(300_000);
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await loginReady(page, USERS.owner, BACK_HOME);
      const paths = await backPages(page);
      const found = await auditAll(page, paths, 'fr');
      await page.goto(BACK_HOME, { waitUntil: 'networkidle' });
      await switchTo(page, 'en');
      found.push(...(await auditAll(page, paths, 'en')));
      expect(found, found.join('\n')).toEqual([]);
    } finally {
      await page.goto(BACK_HOME, { waitUntil: 'networkidle' });
      await switchTo(page, 'fr');
      await context.close();
    }
  });
});
