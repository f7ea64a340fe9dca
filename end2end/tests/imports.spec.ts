// Bringing the books in: the accountant uploads an invoice file with one
// bad row; the check names that row and nothing is imported. Corrected,
// the file imports, and the invoice is on the account. E-invoices: a file
// that breaks an EN 16931 rule is named with the rule, an unknown buyer is
// proposed as an account, created from the invoice, and the invoice imports.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { BACK_HOME, USERS, loginReady, newContext, uploadImport } from './helpers';

const UNKNOWN_ACCOUNT = 'Aucun compte avec ce code, cet id externe ou ce SIREN.';

function file(number: string, second: string): Buffer {
  return Buffer.from(
    `N° facture;Code client;Date;Total HT;TVA;Total TTC\n${number};C0001;02/11/2026;100,00;20,00;120,00\n${number}-B;${second};03/11/2026;50;10;60\n`,
    'utf-8',
  );
}

async function upload(page: Page, content: Buffer): Promise<void> {
  await uploadImport(page, 'invoices', [{ name: 'factures.csv', mimeType: 'text/csv', buffer: content }]);
}

/** Checks the import creates `created` invoices, runs it, and finds `number` in the invoices list. */
async function runAndFind(page: Page, created: number, number: string): Promise<void> {
  await page.getByTestId('import-preview').click();
  await expect(page.getByTestId('count-created')).toHaveText(String(created));
  await page.getByTestId('import-run').click();
  await expect(page.getByTestId('import-status')).toHaveText('Importé', { timeout: 30_000 });
  await page.goto(`/back/invoices?filter=all&q=${number}`);
  await expect(page.getByRole('link', { name: number, exact: true })).toBeVisible();
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
    await runAndFind(page, 2, number);
  } finally {
    await context.close();
  }
});

/** A UBL 2.1 invoice (three lines, three VAT categories) to a buyer no demo account has. */
function ublInvoice(number: string): string {
  return readFileSync(join(__dirname, 'fixtures', 'einvoice-ubl.xml'), 'utf-8').replace('EXT-NUMBER', number);
}

test('e-invoice files: a broken one names its rule, an unknown buyer is proposed, then the invoice imports', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await loginReady(page, USERS.accountant, BACK_HOME);
    const number = `EXT-${Date.now()}`;
    const good = ublInvoice(number);
    // The grand total raised by one euro: an EN 16931 calculation rule breaks.
    const broken = ublInvoice(`${number}-X`).replace(
      /<cbc:TaxInclusiveAmount currencyID="EUR">(\d+)\./,
      (_, euros: string) => `<cbc:TaxInclusiveAmount currencyID="EUR">${Number(euros) + 1}.`,
    );
    const uploadEInvoices = (files: { name: string; text: string }[]) =>
      uploadImport(
        page,
        'einvoices',
        files.map((f) => ({ name: f.name, mimeType: 'application/xml', buffer: Buffer.from(f.text) })),
      );

    await uploadEInvoices([
      { name: 'facture.xml', text: good },
      { name: 'cassee.xml', text: broken },
    ]);
    await page.getByTestId('import-preview').click();
    const problems = page.getByTestId('import-problems').getByTestId('problem-row');
    await expect(problems).toHaveCount(2);
    await expect(page.getByTestId('import-problems')).toContainText('cassee.xml: BR-CO-');
    await expect(page.getByTestId('import-problems')).toContainText('facture.xml: Łódź Spółka & Cie');
    await expect(page.getByTestId('import-run')).toHaveCount(0);

    // The buyer, proposed as an account: the form starts from the invoice.
    await page.getByTestId('proposed-accounts').getByTestId('create-proposed-account').click();
    await page.waitForURL((url) => url.pathname === '/back/accounts/new');
    const form = page.getByTestId('account-form');
    await expect(form.getByTestId('account-legal-name')).toHaveValue('Łódź Spółka & Cie');
    await expect(form.getByTestId('account-siren')).toHaveValue('542065479');
    await expect(form.getByTestId('account-vat')).toHaveValue('FR82542065479');
    await form.getByTestId('account-emails').fill('compta@lodz.example');
    await form.getByTestId('account-save').click();
    await page.waitForURL((url) => /^\/back\/accounts\/\d+$/.test(url.pathname));

    // The good file alone now matches its buyer and imports.
    await uploadEInvoices([{ name: 'facture.xml', text: good }]);
    await runAndFind(page, 1, number);
  } finally {
    await context.close();
  }
});
