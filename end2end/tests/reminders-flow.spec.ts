// A reminder plan chasing for real (issue 13, part 8), on an account of this
// run's own so no other spec's accounts are chased: the owner opens the
// send window to every hour, builds a three-step plan (e-mail, e-mail,
// call) in the form and gives it to the account; the job sends the first
// e-mail (outbox); the client follows its promise link and promises a date;
// the next step waits, its reason shown; the promise breaks and the plan
// resumes with the second e-mail; the collector's to-do shows the call and
// records an outcome.
//
// The server's clock is the real one. Time passing is played by moving the
// recorded dates back in the test database (the day a step was reached, the
// promised date): the job then sees what it would see that much later.

import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import {
  BACK_HOME,
  PORTAL_HOME,
  USERS,
  asOwner,
  createAccount,
  importInvoices,
  inviteClient,
  isoDaysFromToday,
  loginReady,
  newContext,
} from './helpers';

const PASSWORD = 'Relance-e2e-2026!';

/** Runs one statement on the test server's SQLite database. */
function sql(statement: string, ...params: (string | number)[]): void {
  const url = process.env.RELANCE_E2E_DATABASE_URL;
  if (!url?.startsWith('sqlite://')) throw new Error('RELANCE_E2E_DATABASE_URL (sqlite) is set by scripts/e2e.sh');
  const script =
    'import sqlite3, sys\n' +
    'c = sqlite3.connect(sys.argv[1], timeout=30)\n' +
    'c.execute(sys.argv[2], tuple(sys.argv[3:]))\n' +
    'c.commit()\n';
  execFileSync('python3', ['-c', script, url.slice('sqlite://'.length), statement, ...params.map(String)]);
}

/** `days` pass for the account's reminders: the steps it reached were reached that much earlier. */
function daysPass(accountId: number, days: number): void {
  sql(
    `UPDATE reminder_invoices SET reached_on = date(reached_on, ?)
     WHERE reminder_id IN (SELECT id FROM reminders WHERE account_id = ?)`,
    `-${days} days`,
    accountId,
  );
}

/**
 * The account's reminder e-mails in the outbox (the owner's page), newest
 * first: those listing the invoice (the promise's confirmation to the same
 * address does not).
 */
async function mails(page: Page, to: string, invoice: string): Promise<string[]> {
  await page.goto('/back/outbox');
  const items = page.locator('details.mail').filter({ hasText: to });
  const bodies = await items.locator('pre').allTextContents();
  return bodies.filter((body) => body.includes(`- ${invoice} (`));
}

/** Waits for the job (every 5 s) until the account has `count` reminder e-mails. */
async function waitForMails(page: Page, to: string, invoice: string, count: number): Promise<string[]> {
  let found: string[] = [];
  await expect
    .poll(
      async () => {
        found = await mails(page, to, invoice);
        return found.length;
      },
      { timeout: 45_000, intervals: [1_000, 2_000, 3_000] },
    )
    .toBe(count);
  return found;
}

test('a plan chases an overdue account: e-mail, promise from its link, hold, broken promise, call', async ({ browser }) => {
  test.setTimeout(240_000);
  const stamp = Date.now();
  const email = `relances+${stamp}@example.com`;
  const invoiceNumber = `RF-${stamp}`;

  await asOwner(browser, async (owner) => {
    // Reminders may go at any hour of any day while this test runs.
    await owner.goto('/back/reminders', { waitUntil: 'networkidle' });
    const windowBox = owner.getByTestId('send-window');
    await windowBox.locator('summary').click();
    const windowForm = owner.getByTestId('send-window-form');
    for (let i = 0; i < 7; i++) await windowForm.getByTestId(`window-day-${i}`).check();
    await windowForm.getByTestId('window-start').fill('00:00');
    await windowForm.getByTestId('window-end').fill('23:59');
    await windowForm.getByTestId('window-calendar').selectOption('none');
    await windowForm.getByTestId('window-save').click();
    // Saved, the page reloads itself at ?window=1 (hydrated or not): wait for
    // that load, or the next goto races it ("interrupted by another navigation").
    await owner.waitForURL((url) => url.searchParams.get('window') === '1');
    await owner.waitForLoadState('networkidle');
    await expect(owner.getByTestId('window-saved')).toBeVisible();

    // The account, its client contact and an invoice 10 days overdue.
    const account = await createAccount(owner, `Relances E2E ${stamp}`, { collector: 'Camille Martin', email });
    const client = await inviteClient(browser, owner, account, PASSWORD);
    await importInvoices(browser, account.code, [
      { number: invoiceNumber, issued: isoDaysFromToday(-40), due: isoDaysFromToday(-10), net: 10_000, vat: 2_000 },
    ]);

    // The plan, built in the form: an e-mail a day after the due date (its
    // own text, naming the promise link), another 30 days later, then a
    // call 30 days after that (so only the first is due today).
    const name = `E2E relances ${stamp}`;
    await owner.goto('/back/reminders', { waitUntil: 'networkidle' });
    const form = owner.getByTestId('new-plan-form');
    await form.getByTestId('plan-name').fill(name);
    await form.getByTestId('step-0-channel').selectOption('email');
    await form.getByTestId('step-0-days').fill('1');
    await form.getByTestId('step-0').locator('details').first().locator('summary').click();
    await form.locator('input[name="form[steps][0][subject_fr]"]').fill('Relance {account} : {total}');
    await form
      .locator('textarea[name="form[steps][0][body_fr]"]')
      .fill('Bonjour,\n{invoices}\nPromettre une date : {promise_link}');
    await form.getByTestId('step-1-channel').selectOption('email');
    await form.getByTestId('step-1-anchor').selectOption('previous_step');
    await form.getByTestId('step-1-days').fill('30');
    await form.getByTestId('step-2-channel').selectOption('call');
    await form.getByTestId('step-2-anchor').selectOption('previous_step');
    await form.getByTestId('step-2-days').fill('30');
    await form.getByTestId('create-plan').click();
    const plan = owner.getByTestId('plan').filter({ hasText: name });
    await expect(plan.getByTestId('plan-step')).toHaveCount(3);

    // Given to this account only.
    await owner.goto(`/back/accounts/${account.id}`, { waitUntil: 'networkidle' });
    await owner.getByTestId('account-plan').locator('summary').click();
    await owner.getByTestId('account-plan-select').selectOption({ label: name });
    await owner.getByTestId('account-plan-save').click();
    await expect(owner.getByTestId('reminder-plan')).toHaveText(name);

    // The job sends the first step: one e-mail, its promise link signed.
    const [first] = await waitForMails(owner, email, invoiceNumber, 1);
    expect(first).toContain(invoiceNumber);
    const link = /\/r\/[A-Za-z0-9._-]+/.exec(first)?.[0];
    expect(link, first).toBeTruthy();

    // The client follows it and promises a date three days ahead.
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await loginReady(page, client, PORTAL_HOME, PASSWORD);
      await page.goto(link!, { waitUntil: 'networkidle' });
      await expect(page).toHaveURL(/\/portal\/promise/);
      await expect(page.getByTestId('promise-invoices')).toContainText(invoiceNumber);
      await page.getByTestId('promise-date').fill(isoDaysFromToday(3));
      await page.getByTestId('promise-submit').click();
      await page.waitForURL((url) => url.pathname === '/portal/promises');
      await expect(page.getByTestId('promise-row').filter({ hasText: invoiceNumber })).toHaveCount(1);
    } finally {
      await context.close();
    }

    // 30 days later the second step is due, but the invoice is promised:
    // it waits, and the account page says why.
    daysPass(account.id, 30);
    await owner.waitForTimeout(7_000);
    expect(await mails(owner, email, invoiceNumber)).toHaveLength(1);
    await owner.goto(`/back/accounts/${account.id}`);
    const row = owner.getByTestId('reminder-invoice').filter({ hasText: invoiceNumber });
    await expect(row.locator('[data-hold="promised"]')).toBeVisible();

    // The promised day passes unpaid: the promise breaks, the plan resumes.
    sql(`UPDATE promises SET promised_date = date('now', '-1 day') WHERE account_id = ? AND status = 'active'`, account.id);
    const both = await waitForMails(owner, email, invoiceNumber, 2);
    expect(both[0]).toContain(invoiceNumber);
    await owner.goto(`/back/accounts/${account.id}`);
    await expect(owner.getByTestId('reminder-recorded').filter({ hasText: invoiceNumber })).toHaveCount(2);

    // 30 days later: the call, on the collector's to-do.
    daysPass(account.id, 30);
    const collector = await newContext(browser);
    try {
      const page = await collector.newPage();
      await loginReady(page, USERS.camille, BACK_HOME);
      const item = page.getByTestId('todo-item').filter({ hasText: account.name });
      await expect
        .poll(
          async () => {
            await page.goto('/back/todo', { waitUntil: 'networkidle' });
            return item.count();
          },
          { timeout: 45_000, intervals: [2_000, 3_000] },
        )
        .toBe(1);
      await expect(item).toHaveAttribute('data-kind', 'call');
      await item.getByTestId('outcome-left_message').check();
      await item.getByTestId('task-note').fill('Messagerie, rappel demain');
      await item.getByTestId('task-done').click();
      await expect(page.getByTestId('todo-item').filter({ hasText: account.name })).toHaveCount(0);
    } finally {
      await collector.close();
    }

    // Back to the default window; the plan chases nothing more.
    await owner.goto('/back/reminders', { waitUntil: 'networkidle' });
    await owner.getByTestId('send-window').locator('summary').click();
    for (const i of [5, 6]) await owner.getByTestId(`window-day-${i}`).uncheck();
    await owner.getByTestId('window-start').fill('09:00');
    await owner.getByTestId('window-end').fill('18:00');
    await owner.getByTestId('window-calendar').selectOption('fr');
    await owner.getByTestId('window-save').click();
    await owner.waitForURL((url) => url.searchParams.get('window') === '1');
    await owner.waitForLoadState('networkidle');
    await expect(owner.getByTestId('window-saved')).toBeVisible();
    await owner.getByTestId('plan').filter({ hasText: name }).getByTestId('archive-plan').click();
    await expect(owner.getByTestId('plan').filter({ hasText: name })).toHaveCount(0);
  });
});
