// Reminder plans: the owner builds a plan from the form (a bad step is
// refused on its field), sees it listed, and archives it; an account page
// says which plan applies and why its next reminder goes or not; a
// collector reads the plans but gets no form.
//
// The plan is this run's own (a unique name) and is archived at the end,
// without being given to a segment, so no other test's accounts are chased.

import { expect, test } from '@playwright/test';
import { BACK_HOME, NO_ACCESS_TEXT, PORTAL_HOME, USERS, asOwner, harbourAccountId, login, newContext } from './helpers';

test('the owner builds a reminder plan, a bad step named on its field, then archives it', async ({ browser }) => {
  await asOwner(browser, async (page) => {
    const name = `E2E plan ${Date.now()}`;
    await page.goto('/back/reminders');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    // Hydrated: the form keeps what was typed when a step is refused.
    await page.waitForLoadState('networkidle');
    const form = page.getByTestId('new-plan-form');
    await form.getByTestId('plan-name').fill(name);
    await form.getByTestId('step-0-days').fill('7');
    await expect(form.getByTestId('step-0-anchor')).toHaveValue('due_date');
    await expect(form.getByTestId('step-1-anchor')).toHaveValue('previous_step');
    // Counted from the previous step, a negative number of days is refused.
    await form.getByTestId('step-1-channel').selectOption('call');
    await form.getByTestId('step-1-days').fill('-2');
    await form.getByTestId('create-plan').click();
    await expect(page.getByTestId('error-steps.1.offset_days')).toBeVisible();
    await expect(page.getByTestId('plan').filter({ hasText: name })).toHaveCount(0);
    await form.getByTestId('step-1-days').fill('10');
    await form.getByTestId('create-plan').click();
    const plan = page.getByTestId('plan').filter({ hasText: name });
    await expect(plan).toBeVisible();
    await expect(plan.getByTestId('plan-step')).toHaveCount(2);

    // An account page explains its reminders.
    const account = await harbourAccountId(page);
    await page.goto(`/back/accounts/${account}`);
    const panel = page.getByTestId('reminders');
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('reminder-plan')).toBeVisible();

    await page.goto('/back/reminders');
    await page.waitForLoadState('networkidle');
    await page.getByTestId('plan').filter({ hasText: name }).getByTestId('archive-plan').click();
    await expect(page.getByTestId('plan').filter({ hasText: name })).toHaveCount(0);
  });
});

test('the demo ships an example plan; the approvals queue opens', async ({ browser }) => {
  await asOwner(browser, async (page) => {
    await page.goto('/back/reminders');
    await expect(page.getByTestId('plan').filter({ hasText: 'Relance standard B2B (exemple)' })).toBeVisible();
    await page.getByTestId('approvals-link').click();
    await expect(page).toHaveURL(/\/back\/reminders\/approvals$/);
    await expect(page.getByTestId('approvals').or(page.getByTestId('approvals-empty'))).toBeVisible();
  });
});

test('a collector reads the plans but may not change them', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await login(page, USERS.camille, BACK_HOME);
  await page.goto('/back/reminders');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByTestId('new-plan-form')).toHaveCount(0);
  await expect(page.getByTestId('archive-plan')).toHaveCount(0);
  await context.close();
});

test('the client reads their history; staff have the account timeline instead', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await login(page, USERS.client, PORTAL_HOME);
  await page.getByRole('link', { name: /^(Historique|History)$/ }).click();
  await expect(page).toHaveURL(/\/portal\/history$/);
  const history = page.getByTestId('history');
  await expect(history).toBeVisible();
  // The demo account's invoices were issued and some paid: both are there,
  // each linking to its page.
  await expect(history.locator('[data-kind="invoice"]').first()).toBeVisible();
  await expect(history.locator('[data-kind="payment"]').first()).toBeVisible();
  const issued = history.locator('[data-kind="invoice"] a').first();
  await issued.click();
  await expect(page).toHaveURL(/\/portal\/invoices\/\d+$/);
  await context.close();

  const staff = await newContext(browser);
  const back = await staff.newPage();
  await login(back, USERS.camille, BACK_HOME);
  await back.goto('/portal/history');
  await expect(back.getByText(NO_ACCESS_TEXT)).toBeVisible();
  await staff.close();
});

test('a collector opens the day\'s to-do; a client may not', async ({ browser }) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await login(page, USERS.camille, BACK_HOME);
  await page.getByRole('link', { name: /^(À faire|To do)$/ }).click();
  await expect(page).toHaveURL(/\/back\/todo$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/À faire|To do/);
  // Either today's tasks or the empty state, never an error.
  await expect(page.getByTestId('todo').or(page.getByTestId('todo-empty'))).toBeVisible();
  await context.close();

  const client = await newContext(browser);
  const portal = await client.newPage();
  await login(portal, USERS.client, PORTAL_HOME);
  await portal.goto('/back/todo');
  await expect(portal.getByText(NO_ACCESS_TEXT)).toBeVisible();
  await client.close();
});
