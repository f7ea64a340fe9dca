// Keyboard-only use and a phone-sized screen (two requirements of one issue):
//
// (A) "Keyboard-only use of the client's pay, promise and dispute flows works
//     (focus visible, order logical, errors announced)." As the demo client
//     (C0001, French), once signed in, each flow is driven by page.keyboard
//     alone: `tabTo` presses Tab until a control has the focus (reached in
//     document order, so the order is logical) and checks at every stop that
//     the focus is visible. Refused input must be announced (role="alert" or
//     an aria-live region) and create nothing.
// (B) "On a 390-pixel-wide phone no page scrolls sideways and every figure
//     keeps its label." Every client page, then the back office as the owner.
//
// Data: one payment of 1,00 € on C0001 (the sandbox allocates it to the
// oldest open invoice); a promise and a 1,00 € dispute on invoices nobody
// promised or disputed yet, cancelled and withdrawn again (by keyboard too).

import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { BACK_HOME, PORTAL_HOME, USERS, idFromLink, loginReady, newContext } from './helpers';

const CARD_BAD_LUHN = '4242 4242 4242 4241';
const CARD_OK = '4242 4242 4242 4242';
const FIX_FIELDS = 'Veuillez corriger les champs signalés.';
const CARD_NUMBER_INVALID = "Ce numéro de carte n'est pas valide.";
const PROMISE_AMOUNT_INVALID = /Le montant promis doit être positif|Saisissez un montant positif/;
/** Invoice states that may be promised or disputed (not "Promise", "Contestée", "Payée"). */
const FREE_STATES = ['À payer', 'En retard', 'Partiellement payée'];
const ANNOUNCED = '[role="alert"], [role="status"], [aria-live]:not([aria-live="off"])';

// ------------------------------------------------------------- keyboard

/** What `tabTo` found wrong (focus not visible, a control reached only past the page's end); checked at each test's end. */
let focusProblems: string[] = [];
test.beforeEach(() => (focusProblems = []));

/**
 * What has the focus: a short name, whether it had it at the previous stop
 * (a date input's fields and picker, drawn by the browser, are stops of one
 * element) and whether its focus is visible: an outline of 2 px or more (the
 * stylesheet's `:focus-visible` draws 3 px, the browser's own ring 1 px) or a box-shadow.
 */
async function focused(page: Page) {
  return page.evaluate(() => {
    const w = window as unknown as { __kpLast?: Element | null };
    const [e, same] = [document.activeElement, w.__kpLast === document.activeElement];
    w.__kpLast = e;
    if (!e || e === document.body) return { name: 'body', same, visible: true, style: '' };
    const s = getComputedStyle(e);
    const text = (e.getAttribute('aria-label') ?? e.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30);
    const id = e.getAttribute('data-testid') ?? e.getAttribute('name') ?? '';
    const type = e.getAttribute('type') ?? '';
    const name = `${e.tagName.toLowerCase()}${type ? `[${type}]` : ''}${id ? `#${id}` : ''}${text ? ` "${text}"` : ''}`;
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    return { name, same, visible: outline || s.boxShadow !== 'none', style: `outline ${s.outline}; box-shadow ${s.boxShadow}` };
  });
}

/**
 * Presses Tab (Shift+Tab with `back`) until `target` has the focus; checks
 * the focus is visible at each new stop, and that the target comes after
 * (before) the focus in document order: reached without going round the
 * page's end (the body gets the focus there; at the first stop, it only
 * means the page was just opened, the router's navigation included).
 */
async function tabTo(page: Page, target: Locator, max = 60, back = false): Promise<void> {
  await target.waitFor({ state: 'attached' });
  const trail: string[] = [];
  const problem = (p: string) => focusProblems.includes(p) || focusProblems.push(p);
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    trail.push(f.name);
    if (!f.same && !f.visible) problem(`${new URL(page.url()).pathname}: focus not visible on ${f.name} (${f.style})`);
    if (await target.evaluate((el) => el === document.activeElement)) {
      if (trail.slice(1).includes('body')) problem(`${new URL(page.url()).pathname}: ${target} reached only round the page's end: ${trail.join(' → ')}`);
      return;
    }
  }
  throw new Error(`${target} never got the focus in ${max} ${back ? 'Shift+Tab' : 'Tab'}s; the focus went: ${trail.join(' → ')}`);
}

/** Types an ISO date into the date input whose first field has the focus; its fields' order follows the browser's locale. */
async function typeDate(page: Page, input: Locator, iso: string): Promise<void> {
  const [y, m, d] = iso.split('-');
  for (const order of [[m, d, y], [d, m, y]]) {
    await page.keyboard.type(order.join(''));
    if ((await input.inputValue()) === iso) return;
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
  }
  await expect(input).toHaveValue(iso);
}

/** Replaces the focused text field's content by typing. */
async function retype(page: Page, text: string): Promise<void> {
  for (const key of ['Control+A', 'Backspace']) await page.keyboard.press(key);
  if (text) await page.keyboard.type(text);
}

const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Open invoices of the overview in a free state that no promise nor dispute of the client names yet. */
async function freeInvoices(page: Page): Promise<{ id: number; number: string }[]> {
  const taken: string[] = [];
  for (const list of ['/portal/promises', '/portal/disputes']) {
    await page.goto(list);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    taken.push((await page.locator('main').textContent()) ?? '');
  }
  await page.goto(PORTAL_HOME);
  const free: { id: number; number: string }[] = [];
  for (const row of await page.getByTestId('invoice-table').getByTestId('invoice-row').all()) {
    const link = row.locator('td').first().getByRole('link');
    const number = ((await link.textContent()) ?? '').trim();
    const state = ((await row.locator('td').last().textContent()) ?? '').trim();
    if (FREE_STATES.includes(state) && !taken.some((t) => t.includes(number))) {
      free.push({ id: await idFromLink(link, /^\/portal\/invoices\/(\d+)$/), number });
    }
  }
  expect(free.length, 'the demo client has an open invoice nobody promised or disputed').toBeGreaterThan(0);
  return free;
}

test.describe('keyboard only: the client pays, promises and disputes', () => {
  test('pay 1,00 €: a refused card number is announced and pays nothing, then the payment goes through', async ({ page }) => {
    await loginReady(page, USERS.client, PORTAL_HOME);
    await page.goto('/portal/payments');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const refsBefore = await page.getByTestId('payment-row').locator('td:first-child').allTextContents();

    // The overview's "pay an amount" box, from the top of the page.
    await page.goto(PORTAL_HOME, { waitUntil: 'networkidle' });
    await tabTo(page, page.getByTestId('pay-amount'), 120);
    await page.keyboard.type('1,00');
    await tabTo(page, page.locator('form:has([data-testid="pay-amount"]) button[type="submit"]'));
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/portal/pay');
    await page.waitForLoadState('networkidle');

    // "New card": the radio group is one stop, the arrows choose in it.
    const form = page.getByTestId('pay-form');
    const newCard = form.getByTestId('method-new');
    await tabTo(page, form.locator('input[name="method"]:checked'));
    for (let i = 0; i < 10 && !(await newCard.isChecked()); i++) await page.keyboard.press('ArrowDown');
    await expect(newCard).toBeChecked();
    for (const [field, text] of [['card-number', CARD_BAD_LUHN], ['card-expiry', '12/34'], ['card-cvc', '123']]) {
      await tabTo(page, form.getByTestId(field));
      await page.keyboard.type(text);
    }
    await tabTo(page, form.getByTestId('pay-submit'));
    await page.keyboard.press('Enter');

    // Announced: an alert; the field's own message beside it; still on the pay page.
    await expect(page.locator(ANNOUNCED).filter({ hasText: FIX_FIELDS })).toBeVisible();
    await expect(form.getByTestId('error-card_number')).toHaveText(CARD_NUMBER_INVALID);
    expect(new URL(page.url()).pathname).toBe('/portal/pay');

    // Back (Shift+Tab) to the card number, corrected: paid.
    await tabTo(page, form.getByTestId('card-number'), 60, true);
    await retype(page, CARD_OK);
    await tabTo(page, form.getByTestId('pay-submit'));
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => /^\/portal\/payments\/\d+$/.test(url.pathname));
    await expect(page.getByTestId('payment-succeeded')).toBeVisible();
    await expect(page.getByTestId('payment-amount')).toHaveText(/^\s*1,00\s€\s*$/);
    const reference = ((await page.getByTestId('payment-reference').textContent()) ?? '').trim();

    // The refused attempt made no payment: only this one is new.
    await page.goto('/portal/payments');
    await expect(page.getByTestId('payment-row').filter({ hasText: reference })).toHaveCount(1);
    const refsAfter = await page.getByTestId('payment-row').locator('td:first-child').allTextContents();
    expect(refsAfter.filter((r) => !refsBefore.includes(r)).map((r) => r.trim())).toEqual([reference]);
    expect(focusProblems, focusProblems.join('\n')).toEqual([]);
  });

  test('promise: a refused amount is announced and creates nothing; the promise is made, then cancelled', async ({ page }) => {
    await loginReady(page, USERS.client, PORTAL_HOME);
    const inv = (await freeInvoices(page)).at(-1)!;

    await page.goto(`/portal/invoices/${inv.id}`, { waitUntil: 'networkidle' });
    await tabTo(page, page.getByTestId('promise-invoice'));
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/portal/promise');
    await page.waitForLoadState('networkidle');

    const form = page.getByTestId('promise-form');
    const date = form.getByTestId('promise-date');
    const today = (await date.getAttribute('min')) ?? '';
    const promised = addDays(today, 7);
    await tabTo(page, date);
    await typeDate(page, date, promised);
    await tabTo(page, form.getByTestId('promise-amount'));
    await page.keyboard.type('0');
    await tabTo(page, form.getByTestId('promise-submit'));
    const refused = page.waitForResponse((r) => r.url().includes('/api/promises/create'));
    await page.keyboard.press('Enter');
    expect((await refused).status()).toBeGreaterThanOrEqual(400);

    // Shown beside the field, and announced to a screen reader.
    await expect(form.locator('.field-error')).toHaveText(PROMISE_AMOUNT_INVALID);
    await expect
      .soft(page.locator(ANNOUNCED).filter({ hasText: PROMISE_AMOUNT_INVALID }), 'the refusal is in an alert or a live region')
      .toBeVisible({ timeout: 3_000 });
    expect(new URL(page.url()).pathname).toBe('/portal/promise');

    // Back (Shift+Tab) to the amount, emptied (all that is due), sent again: the one promise.
    await tabTo(page, form.getByTestId('promise-amount'), 60, true);
    await retype(page, '');
    await tabTo(page, form.getByTestId('promise-submit'));
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/portal/promises');
    await page.waitForLoadState('networkidle');
    const row = page.getByTestId('promise-row').filter({ hasText: inv.number });
    await expect(row, 'one promise: the refused one created nothing').toHaveCount(1);
    await expect(row.getByTestId('promise-status')).toHaveText('En cours');
    await expect(row.locator(`time[datetime="${promised}"]`)).toHaveCount(1);

    // Cancelled again, by keyboard: the invoice is left as found.
    await tabTo(page, row.getByTestId('promise-cancel'));
    await page.keyboard.press('Enter');
    await expect(row.getByTestId('promise-status')).toHaveText('Annulée');
    expect(focusProblems, focusProblems.join('\n')).toEqual([]);
  });

  test('dispute: reason, "an amount" and a message chosen by keyboard open a dispute, then it is withdrawn', async ({ page }) => {
    await loginReady(page, USERS.client, PORTAL_HOME);
    const inv = (await freeInvoices(page)).at(-1)!;

    await page.goto(`/portal/invoices/${inv.id}`, { waitUntil: 'networkidle' });
    await tabTo(page, page.getByTestId('dispute-invoice'));
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/portal/dispute');
    await page.waitForLoadState('networkidle');

    const form = page.getByTestId('dispute-form');
    const reason = form.getByTestId('dispute-reason');
    await tabTo(page, reason);
    for (let i = 0; i < 10 && (await reason.inputValue()) !== 'damaged'; i++) await page.keyboard.press('ArrowDown');
    await expect(reason).toHaveValue('damaged');
    const amountScope = form.getByTestId('scope-amount');
    await tabTo(page, form.getByTestId('scope-invoice'));
    for (let i = 0; i < 5 && !(await amountScope.isChecked()); i++) await page.keyboard.press('ArrowDown');
    await expect(amountScope).toBeChecked();
    for (const [field, text] of [['dispute-amount', '1,00'], ['dispute-message', 'Il manquait un article (clavier, E2E).']]) {
      await tabTo(page, form.getByTestId(field));
      await page.keyboard.type(text);
    }
    await tabTo(page, form.getByTestId('dispute-submit'));
    await page.keyboard.press('Space');

    await page.waitForURL((url) => /^\/portal\/disputes\/\d+$/.test(url.pathname));
    await page.waitForLoadState('networkidle');
    await expect(page.getByTestId('dispute-status')).toHaveText('Ouvert');
    await expect(page.getByTestId('disputed-amount')).toHaveText(/1,00\s€/);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(inv.number);

    // Withdrawn, by keyboard: nothing stays disputed.
    await tabTo(page, page.getByTestId('dispute-close'));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('dispute-status')).toHaveText('Clos');
    expect(focusProblems, focusProblems.join('\n')).toEqual([]);
  });
});

// ------------------------------------------------------------- phone

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 };
const WIDTH = PHONE.viewport.width;

/** The page's problems at 390 px: sideways scroll (and what sticks out), header links off screen, figures without a label. */
async function phoneProblems(page: Page, path: string, labels: boolean): Promise<string[]> {
  const res = await page.goto(path, { waitUntil: 'networkidle' });
  expect(res?.status(), `${path} answers`).toBeLessThan(400);
  await expect(page.locator('main')).toBeVisible();
  const found = await page.evaluate(
    ({ width, labels }) => {
      const out: string[] = [];
      const name = (e: Element) => {
        const id = e.getAttribute('data-testid');
        const cls = typeof e.className === 'string' && e.className ? `.${e.className.trim().split(/\s+/).join('.')}` : '';
        const text = (e.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
        return `<${e.tagName.toLowerCase()}${cls}${id ? ` data-testid=${id}` : ''}> "${text}"`;
      };
      const clipped = (e: Element) => {
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
          if (getComputedStyle(p).overflowX !== 'visible') return true;
        }
        return false;
      };
      const doc = document.documentElement;
      if (doc.scrollWidth > width) {
        out.push(`[scroll] scrollWidth ${doc.scrollWidth} > ${width} (innerWidth ${window.innerWidth})`);
        // What sticks out: elements past the right edge whose parent is not.
        for (const e of document.querySelectorAll('body *')) {
          const r = e.getBoundingClientRect();
          const p = e.parentElement!.getBoundingClientRect();
          if (r.width > 0 && r.right > width + 0.5 && (e.parentElement === document.body || p.right <= width + 0.5) && !clipped(e)) {
            out.push(`[scroll]   ${name(e)} spans x ${Math.round(r.left)}..${Math.round(r.right)} (width ${Math.round(r.width)}) in ${name(e.parentElement!)} of width ${Math.round(p.width)}`);
          }
        }
      }
      for (const a of document.querySelectorAll('header a, header button')) {
        const r = a.getBoundingClientRect();
        if (r.width > 0 && (r.right > width + 0.5 || r.left < 0)) out.push(`[nav] ${name(a)} at x ${Math.round(r.left)}..${Math.round(r.right)}`);
      }
      if (!labels) return out;
      // A figure: an amount or a date in a table cell. Its label: the cell's
      // data-label shown before it, or the row's header when it is the row's only figure.
      for (const row of document.querySelectorAll('table.data tr')) {
        const figures = [...row.querySelectorAll(':scope > td')].filter(
          (td) => td.getClientRects().length > 0 && td.querySelector('.amount, time'),
        );
        const header = row.querySelector(':scope > th[scope="row"]');
        for (const td of figures) {
          const before = getComputedStyle(td, '::before').content;
          if ((td.getAttribute('data-label') ?? '').trim() && !['none', 'normal', '""'].includes(before)) continue;
          if (figures.length === 1 && header && header.getClientRects().length > 0 && (header.textContent ?? '').trim()) continue;
          out.push(`[label] ${name(td)} in ${name(td.closest('table')!).slice(0, 60)}: data-label "${td.getAttribute('data-label') ?? ''}", ::before ${before}`);
        }
      }
      return out;
    },
    { width: WIDTH, labels },
  );
  return found.map((f) => `${path} ${f}`);
}

/** The first link on `list` whose path matches `pattern`, or null. */
async function firstLink(page: Page, list: string, pattern: RegExp): Promise<string | null> {
  await page.goto(list, { waitUntil: 'networkidle' });
  const hrefs = await page.locator('main a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  return hrefs.find((h) => pattern.test(h.split('?')[0])) ?? null;
}

async function onPhone(browser: Browser, user: string, home: string, paths: (page: Page) => Promise<string[]>, labels: boolean) {
  const context = await newContext(browser, PHONE);
  try {
    const page = await context.newPage();
    await loginReady(page, user, home);
    const found: string[] = [];
    for (const path of await paths(page)) found.push(...(await phoneProblems(page, path, labels)));
    expect(found, found.join('\n')).toEqual([]);
  } finally {
    await context.close();
  }
}

test.describe('on a 390-pixel-wide phone', () => {
  test("no page of the client's portal scrolls sideways, every figure keeps its label, the navigation fits", async ({ browser }) => {
    test.setTimeout(180_000);
    await onPhone(browser, USERS.client, PORTAL_HOME, async (page) => {
      const invoice = await firstLink(page, '/portal/invoices?filter=all', /^\/portal\/invoices\/\d+$/);
      const open = await firstLink(page, '/portal/invoices', /^\/portal\/invoices\/\d+$/);
      const payment = await firstLink(page, '/portal/payments', /^\/portal\/payments\/\d+$/);
      const dispute = await firstLink(page, '/portal/disputes', /^\/portal\/disputes\/\d+$/);
      expect(invoice && open, 'the demo client has invoices, open ones too').toBeTruthy();
      const openId = open!.split('/').pop();
      return [PORTAL_HOME, '/portal/invoices', '/portal/invoices?filter=all', invoice!, open!,
        `/portal/pay?inv=${openId}`, `/portal/promise?inv=${openId}`, `/portal/dispute?inv=${openId}`,
        '/portal/payments', ...(payment ? [payment] : []), '/portal/methods', '/portal/promises',
        '/portal/disputes', ...(dispute ? [dispute] : []), '/portal/history', '/settings/password',
      ];
    }, true);
  });

  test('no main page of the back office scrolls sideways, and its figures keep their labels (owner)', async ({ browser }) => {
    test.setTimeout(240_000);
    await onPhone(browser, USERS.owner, BACK_HOME, async (page) => {
      const account = await firstLink(page, '/back/accounts', /^\/back\/accounts\/\d+$/);
      const invoice = await firstLink(page, '/back/invoices', /^\/back\/invoices\/\d+$/);
      const payment = await firstLink(page, '/back/payments', /^\/back\/payments\/\d+$/);
      const dispute = await firstLink(page, '/back/disputes?queue=all', /^\/back\/disputes\/\d+$/);
      const imported = await firstLink(page, '/back/imports', /^\/back\/imports\/\d+$/);
      expect(account && invoice, 'the demo book has accounts and invoices').toBeTruthy();
      return ['/back/accounts', account!, `${account}/edit`, `${account}/invoices/new`, `${account}/recurring/new`,
        '/back/accounts/new', '/back/invoices', invoice!, '/back/payments', ...(payment ? [payment] : []),
        '/back/promises', '/back/disputes', ...(dispute ? [dispute] : []), '/back/reminders',
        '/back/reminders/approvals', '/back/reminders/calendar', '/back/todo', '/back/imports',
        ...(imported ? [imported] : []), '/back/team', '/back/outbox', '/back/settings', '/back/prescription', '/back/rates',
        '/back/aging', '/back/aging/invoices?group=currency&in=EUR', '/back/exports', '/back/dashboard', '/back/indicators',
      ];
    }, true);
  });
});
