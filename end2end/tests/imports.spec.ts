// Bringing the books in: the accountant uploads an invoice file with one
// bad row; the check names that row and nothing is imported. Corrected,
// the file imports, and the invoice is on the account.

import { expect, test } from '@playwright/test';
import { BACK_HOME, USERS, loginReady, newContext } from './helpers';

const UNKNOWN_ACCOUNT = 'Aucun compte avec ce code, cet id externe ou ce SIREN.';

function file(number: string, second: string): Buffer {
  return Buffer.from(
    `N° facture;Code client;Date;Total HT;TVA;Total TTC\n${number};C0001;02/11/2026;100,00;20,00;120,00\n${number}-B;${second};03/11/2026;50;10;60\n`,
    'utf-8',
  );
}

async function upload(page: import('@playwright/test').Page, content: Buffer): Promise<void> {
  await page.goto('/back/imports', { waitUntil: 'networkidle' });
  const form = page.getByTestId('import-upload-form');
  await form.getByTestId('import-kind').selectOption('invoices');
  await form.getByTestId('import-file').setInputFiles({ name: 'factures.csv', mimeType: 'text/csv', buffer: content });
  await form.getByTestId('import-upload').click();
  await page.waitForURL((url) => /^\/back\/imports\/\d+$/.test(url.pathname));
  await page.waitForLoadState('networkidle');
}

test('an invoice file with a bad row imports nothing; corrected, it imports', async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await loginReady(page, USERS.accountant, BACK_HOME);
    const number = `IMP-${Date.now()}`;

    await upload(page, file(number, 'INCONNU'));
    await expect(page.getByTestId('map-number')).toHaveValue('0');
    await page.getByTestId('import-preview').click();
    const problems = page.getByTestId('import-problems');
    await expect(problems.getByTestId('problem-row')).toHaveCount(1);
    await expect(problems.getByTestId('problem-row').first()).toContainText('3');
    await expect(problems.getByTestId('problem-row').first()).toContainText(UNKNOWN_ACCOUNT);
    await expect(page.getByTestId('import-run')).toHaveCount(0);
    await page.goto(`/back/invoices?filter=all&q=${number}`);
    await expect(page.getByRole('link', { name: number, exact: true })).toHaveCount(0);

    await upload(page, file(number, 'C0001'));
    await page.getByTestId('import-preview').click();
    await expect(page.getByTestId('count-created')).toHaveText('2');
    await page.getByTestId('import-run').click();
    await expect(page.getByTestId('import-status')).toHaveText('Importé', { timeout: 30_000 });
    await page.goto(`/back/invoices?filter=all&q=${number}`);
    await expect(page.getByRole('link', { name: number, exact: true })).toBeVisible();
  } finally {
    await context.close();
  }
});
