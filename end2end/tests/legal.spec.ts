// Legal deadlines and the claim: an invoice shows when it is time-barred
// and records what interrupts it; an overdue account's claim is broken
// down and exported for a payment order; the queue of claims near
// prescription and the 30-day reminder calendar open for staff.

import { expect, test } from '@playwright/test';
import { asOwner, harbourAccountId, harbourInvoiceId } from './helpers';

test('an invoice shows its prescription date and an acknowledgement moves it', async ({ browser }) => {
  await asOwner(browser, async (page) => {
    const invoice = await harbourInvoiceId(page);
    await page.goto(`/back/invoices/${invoice}`);
    const panel = page.getByTestId('prescription');
    await expect(panel).toBeVisible();
    const before = await panel.getByTestId('prescription-date').getAttribute('data-date');
    expect(before).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await page.waitForLoadState('networkidle');
    await panel.getByTestId('interruption-form-box').locator('summary').click();
    // A date in the future is refused on its field.
    await panel.getByTestId('interruption-date').fill('2099-01-01');
    await panel.getByTestId('interruption-save').click();
    await expect(panel.getByTestId('error-occurred_on')).toBeVisible();
    const today = new Date().toISOString().slice(0, 10);
    await panel.getByTestId('interruption-kind').selectOption('acknowledgement');
    await panel.getByTestId('interruption-date').fill(today);
    await panel.getByTestId('interruption-note').fill('Échéancier signé (e2e)');
    await panel.getByTestId('interruption-save').click();
    await expect(panel.getByTestId('interruption').filter({ hasText: 'Échéancier signé (e2e)' }).first()).toBeVisible();
    const after = await panel.getByTestId('prescription-date').getAttribute('data-date');
    expect(after! >= before!).toBeTruthy();
  });
});

test('an account\'s claim downloads as CSV; the queue and the calendar open', async ({ browser }) => {
  await asOwner(browser, async (page) => {
    const account = await harbourAccountId(page);
    await page.goto(`/back/accounts/${account}`);
    const claim = page.getByTestId('claim');
    await expect(claim).toBeVisible();
    await expect(claim.getByTestId('claim-table').or(claim.getByTestId('claim-empty'))).toBeVisible();
    if (await claim.getByTestId('claim-table').isVisible()) {
      const [download] = await Promise.all([page.waitForEvent('download'), claim.getByTestId('claim-csv').click()]);
      expect(download.suggestedFilename()).toMatch(/^creance-\d+-\d{4}-\d{2}-\d{2}\.csv$/);
    }
    await expect(page.getByTestId('reminders').getByText(/Relances des 30 prochains jours|Reminders in the next 30 days/).first()).toBeVisible();

    await page.goto('/back/reminders');
    await page.getByTestId('claims-link').click();
    await expect(page).toHaveURL(/\/back\/prescription$/);
    await expect(page.getByTestId('claims-at-risk').or(page.getByTestId('claims-empty'))).toBeVisible();
    await page.goto('/back/reminders');
    await page.getByTestId('calendar-link').click();
    await expect(page).toHaveURL(/\/back\/reminders\/calendar$/);
    await expect(page.getByTestId('reminder-calendar').or(page.getByTestId('calendar-empty'))).toBeVisible();
  });
});
