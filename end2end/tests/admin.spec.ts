// (g) Owner administration with the wasm bundle loaded: inviting a client
// contact who then sets a password, reassigning an account, deactivating and
// reactivating a user, the merchant settings, and hydration under the
// Content-Security-Policy. Every test puts back what it changes.

import { expect, test, type Browser, type ConsoleMessage, type Locator, type Page } from '@playwright/test';
import {
  BACK_HOME,
  BAD_CREDENTIALS_FR,
  BASE_URL,
  DUPONT,
  FORBIDDEN_TEXT,
  PASSWORD,
  PORTAL_HOME,
  USERS,
  adminLink,
  idFromLink,
  newContext,
  sessionCookie,
  submitLogin,
} from './helpers';

/** Display name of camille@relance.demo in the demo data. */
const CAMILLE_NAME = 'Camille Martin';
const DUPONT_CHOICE = `C0001 · ${DUPONT}`;

/** Without a mail server the owner is told how the link travels. */
const INVITATION_SENT =
  "Invitation enregistrée. Aucun serveur de messagerie n'est configuré : sur le serveur, « relance link --email <adresse> » donne le lien à transmettre à la personne.";

const PASSWORDS_DIFFER = 'Les deux mots de passe ne correspondent pas.';
const PASSWORD_SAVED = 'Mot de passe enregistré. Vous pouvez vous connecter.';
const COLLECTOR_ASSIGNED = 'Chargé de recouvrement mis à jour.';
const SETTINGS_SAVED = 'Paramètres enregistrés.';
const INVALID_TERMS = 'Entre 0 et 365 jours.';
const UNASSIGNED = 'Non attribué';

/** Opens a page and lets the wasm bundle load and hydrate. */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(path, { waitUntil: 'networkidle' });
}

/** Signs in through the hydrated form and waits for the landing page. */
async function loginHydrated(page: Page, email: string, home: string, password = PASSWORD): Promise<void> {
  await submitLogin(page, email, password, { waitUntil: 'networkidle' });
  await page.waitForURL((url) => url.pathname === home);
  await expect(page.getByTestId('viewer-name')).toBeVisible();
  await page.waitForLoadState('networkidle');
}

/** A fresh context signed in as `email`; closed by the caller. */
async function signedIn(browser: Browser, email: string, home: string): Promise<Page> {
  const context = await newContext(browser);
  const page = await context.newPage();
  await loginHydrated(page, email, home);
  return page;
}

/** Posts to a server function from a signed-in page (same origin, like the forms). */
async function postServerFn(page: Page, endpoint: string, form: Record<string, string>): Promise<number> {
  const res = await page.request.post(`/api/${endpoint}`, {
    form,
    headers: { Origin: BASE_URL, Accept: 'application/json' },
    maxRedirects: 0,
  });
  return res.status();
}

function teamRow(page: Page, email: string): Locator {
  return page.getByTestId('team-row').filter({ has: page.getByRole('cell', { name: email, exact: true }) });
}

test.describe('owner administration', () => {
  test('the owner invites a client contact, who sets a password and signs in', async ({ page, browser }) => {
    const email = `e2e-invite-${Date.now()}@example.com`;
    const name = 'Contact E2E';
    const newPassword = 'un-mot-de-passe-solide';

    await loginHydrated(page, USERS.owner, BACK_HOME);
    await open(page, '/back/team');
    const form = page.getByTestId('invite-form');
    await form.locator('input[name="name"]').fill(name);
    await form.locator('input[name="email"]').fill(email);
    await form.locator('select[name="role"]').selectOption('client');
    await form.locator('select[name="account_id"]').selectOption({ label: DUPONT_CHOICE });
    await form.locator('select[name="locale"]').selectOption('fr');
    await form.getByRole('button', { name: 'Inviter' }).click();
    await expect(page.getByRole('status')).toHaveText(INVITATION_SENT);
    // The team list is reloaded and shows the pending invitation.
    await expect(teamRow(page, email)).toContainText('Invitation en attente');
    await expect(teamRow(page, email)).toContainText(DUPONT);

    // No SMTP server in the tests: the invitation waits in the outbox with
    // its link hidden (nobody but the invitee may read it), and the server's
    // administrator hands out the link with `relance link`.
    await open(page, '/back/outbox');
    const mail = page.getByTestId('outbox').locator('details.mail').filter({ hasText: email });
    await expect(mail).toHaveCount(1);
    const body = (await mail.locator('pre').textContent()) ?? '';
    expect(body).toContain(name);
    expect(body).toContain('/invite/[sent]');
    expect(body).not.toMatch(/\/invite\/[0-9A-Za-z_-]{16,}/);
    const m = /(\/invite\/[0-9A-Za-z_-]+)/.exec(adminLink(email));
    expect(m, 'relance link prints an invitation link').not.toBeNull();
    const invitePath = m![1];

    const context = await newContext(browser);
    try {
      const invitee = await context.newPage();
      await open(invitee, invitePath);
      await expect(invitee.getByRole('heading', { level: 1 })).toHaveText('Choisir un mot de passe');
      const password = invitee.locator('input[name="password"]');
      const confirm = invitee.locator('input[name="confirm"]');
      const save = invitee.getByRole('button', { name: 'Enregistrer le mot de passe' });

      // Mismatched confirmation: a field error under "confirm", nothing else.
      await password.fill(newPassword);
      await confirm.fill(`${newPassword}-autre`);
      const refused = invitee.waitForResponse((r) => r.url().endsWith('/api/auth/complete_token'));
      await save.click();
      await refused;
      const confirmLabel = invitee.locator('label').filter({ has: confirm });
      await expect(confirmLabel.locator('.field-error')).toHaveText(PASSWORDS_DIFFER);
      await expect(invitee.locator('.field-error')).toHaveCount(1);
      // The field's message is the one alert (said as it appears); no headline.
      await expect(invitee.getByRole('alert')).toHaveCount(1);
      await expect(invitee.getByRole('alert')).toHaveText(PASSWORDS_DIFFER);
      expect(new URL(invitee.url()).pathname).toBe(invitePath);
      expect(await sessionCookie(context)).toBeUndefined();

      // Matching: the password is saved and the browser goes to the sign-in page.
      await password.fill(newPassword);
      await confirm.fill(newPassword);
      await save.click();
      await invitee.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('done') === '1');
      await expect(invitee.getByRole('status')).toHaveText(PASSWORD_SAVED);

      await invitee.waitForLoadState('networkidle');
      const login = invitee.getByTestId('login-form');
      await login.locator('input[name="email"]').fill(email);
      await login.locator('input[name="password"]').fill(newPassword);
      await login.locator('button[type="submit"]').click();
      await invitee.waitForURL((url) => url.pathname === PORTAL_HOME);
      await expect(invitee.getByTestId('viewer-name')).toHaveText(name);
      await expect(invitee.getByRole('heading', { level: 1, name: DUPONT })).toBeVisible();

      // The link is single use.
      const again = await context.newPage();
      await open(again, invitePath);
      await again.locator('input[name="password"]').fill(newPassword);
      await again.locator('input[name="confirm"]').fill(newPassword);
      await again.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
      await expect(again.getByRole('alert')).toContainText('Ce lien est invalide ou a expiré.');
    } finally {
      await context.close();
    }
  });

  test('the owner reassigns an account to a collector, who then sees it', async ({ page, browser }) => {
    await loginHydrated(page, USERS.owner, BACK_HOME);

    // An unassigned account (never C0001/C0002, which other tests rely on).
    await open(page, '/back/accounts?collector=0');
    const row = page.getByTestId('account-row').first();
    await expect(row).toBeVisible();
    await expect(row).toContainText(UNASSIGNED);
    const code = ((await row.locator('td').first().textContent()) ?? '').trim();
    expect(code).toMatch(/^C\d+$/);
    expect(['C0001', 'C0002']).not.toContain(code);
    const link = row.locator('td').nth(1).getByRole('link');
    const legalName = ((await link.textContent()) ?? '').trim();
    const id = await idFromLink(link, /^\/back\/accounts\/(\d+)$/);

    let restored = false;
    try {
      await open(page, `/back/accounts/${id}`);
      await expect(page.getByRole('heading', { level: 1 })).toContainText(legalName);
      await expect(page.getByTestId('account-collector')).toHaveText(UNASSIGNED);
      await page.locator('select[name="collector_id"]').selectOption({ label: CAMILLE_NAME });
      await page.getByRole('button', { name: 'Attribuer' }).click();
      await expect(page.getByRole('status')).toHaveText(COLLECTOR_ASSIGNED);
      await expect(page.getByTestId('account-collector')).toHaveText(CAMILLE_NAME);
      await page.reload({ waitUntil: 'networkidle' });
      await expect(page.getByTestId('account-collector')).toHaveText(CAMILLE_NAME);

      // Camille now has it in her portfolio, and can open it.
      const camille = await signedIn(browser, USERS.camille, BACK_HOME);
      try {
        await open(camille, `/back/accounts?q=${encodeURIComponent(code)}`);
        const hers = camille.getByTestId('account-row').filter({ hasText: code });
        await expect(hers).toHaveCount(1);
        await expect(hers).toContainText(legalName);
        await expect(hers).toContainText(CAMILLE_NAME);
        await open(camille, `/back/accounts/${id}`);
        await expect(camille.getByRole('heading', { level: 1 })).toContainText(legalName);
        // A collector may not reassign.
        await expect(camille.locator('select[name="collector_id"]')).toHaveCount(0);
      } finally {
        await camille.context().close();
      }

      // And back to unassigned, as it was.
      await page.locator('select[name="collector_id"]').selectOption({ label: UNASSIGNED });
      await page.getByRole('button', { name: 'Attribuer' }).click();
      await expect(page.getByRole('status')).toHaveText(COLLECTOR_ASSIGNED);
      await expect(page.getByTestId('account-collector')).toHaveText(UNASSIGNED);
      await page.reload({ waitUntil: 'networkidle' });
      await expect(page.getByTestId('account-collector')).toHaveText(UNASSIGNED);
      restored = true;
    } finally {
      if (!restored) {
        await postServerFn(page, 'back/assign_collector', { account_id: String(id), collector_id: '' }).catch(() => 0);
      }
    }
  });

  test('a deactivated user cannot sign in until reactivated', async ({ page, browser }) => {
    await loginHydrated(page, USERS.owner, BACK_HOME);
    await open(page, '/back/team');
    const row = teamRow(page, USERS.accountant);
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Actif');
    const userId = await row.locator('input[name="user_id"]').first().inputValue();

    let reactivated = false;
    try {
      await row.getByTestId('user-deactivate').click();
      // The list reloads by itself; and the state is the stored one.
      await expect(row).toContainText('Désactivé');
      await expect(row.getByTestId('user-reactivate')).toBeVisible();
      await page.reload({ waitUntil: 'networkidle' });
      await expect(row).toContainText('Désactivé');
      await expect(row.getByTestId('user-deactivate')).toHaveCount(0);
      await expect(row.getByTestId('user-send_link')).toHaveCount(0);

      // Paul's right password is refused like a wrong one.
      const context = await newContext(browser);
      try {
        const paul = await context.newPage();
        await submitLogin(paul, USERS.accountant, PASSWORD, { waitUntil: 'networkidle' });
        await expect(paul.getByRole('alert')).toContainText(BAD_CREDENTIALS_FR);
        expect(new URL(paul.url()).pathname).toBe('/login');
        expect(await sessionCookie(context)).toBeUndefined();
      } finally {
        await context.close();
      }

      await row.getByTestId('user-reactivate').click();
      await expect(row).toContainText('Actif');
      await expect(row.getByTestId('user-deactivate')).toBeVisible();
      await page.reload({ waitUntil: 'networkidle' });
      await expect(row).toContainText('Actif');
      await expect(row.getByTestId('user-deactivate')).toBeVisible();
      reactivated = true;

      const paul = await signedIn(browser, USERS.accountant, BACK_HOME);
      await paul.context().close();
    } finally {
      if (!reactivated) {
        await postServerFn(page, 'back/user_action', { user_id: userId, action: 'reactivate' }).catch(() => 0);
      }
    }
  });

  test('the owner edits the company settings; invalid terms are refused', async ({ page }) => {
    await loginHydrated(page, USERS.owner, BACK_HOME);
    await open(page, '/back/settings');
    const form = page.getByTestId('settings-form');
    const companyName = form.locator('input[name="form[company_name]"]');
    const terms = form.locator('input[name="form[payment_terms_days]"]');
    const save = form.getByRole('button', { name: 'Enregistrer' });
    await expect(companyName).not.toHaveValue('');
    const original = await companyName.inputValue();
    const originalTerms = await terms.inputValue();
    const renamed = `Atelier E2E ${Date.now()}`;

    try {
      await companyName.fill(renamed);
      await save.click();
      await expect(page.getByRole('status')).toHaveText(SETTINGS_SAVED);
      await page.reload({ waitUntil: 'networkidle' });
      await expect(companyName).toHaveValue(renamed);
      await expect(terms).toHaveValue(originalTerms);

      // 999 days: the browser's own check is removed so the server decides.
      await terms.evaluate((input) => {
        input.removeAttribute('max');
        input.removeAttribute('min');
      });
      await companyName.fill(`${renamed} (refusé)`);
      await terms.fill('999');
      await save.click();
      // (`has` is matched inside each label, so the inner locator is not scoped to the form.)
      const termsLabel = form.locator('label').filter({ has: page.locator('input[name="form[payment_terms_days]"]') });
      await expect(termsLabel.locator('.field-error')).toHaveText(INVALID_TERMS);
      // The headline and the field's own message are both alerts.
      await expect(page.getByRole('alert').filter({ hasText: 'Veuillez corriger les champs signalés.' })).toHaveCount(1);
      await expect(page.getByRole('alert').filter({ hasText: INVALID_TERMS })).toHaveCount(1);
      await expect(page.getByRole('status')).toHaveCount(0);
      await page.reload({ waitUntil: 'networkidle' });
      await expect(companyName).toHaveValue(renamed);
      await expect(terms).toHaveValue(originalTerms);

      // Back to the original name.
      await companyName.fill(original);
      await save.click();
      await expect(page.getByRole('status')).toHaveText(SETTINGS_SAVED);
      await page.reload({ waitUntil: 'networkidle' });
      await expect(companyName).toHaveValue(original);
    } finally {
      // Best effort if the test failed half-way: save the original values again.
      if (page.url().includes('/back/settings') && (await companyName.inputValue().catch(() => original)) !== original) {
        try {
          await page.reload({ waitUntil: 'networkidle' });
          await companyName.fill(original);
          await terms.fill(originalTerms);
          await save.click();
          await expect(page.getByRole('status')).toHaveText(SETTINGS_SAVED, { timeout: 5_000 });
        } catch {
          // The test's own failure is the one worth reporting.
        }
      }
    }
  });

  test('a collector cannot open the settings page', async ({ page }) => {
    await loginHydrated(page, USERS.camille, BACK_HOME);
    await open(page, '/back/settings');
    await expect(page.getByRole('alert').first()).toContainText(FORBIDDEN_TEXT);
    await expect(page.getByRole('alert').first()).toContainText("Vous n'avez pas accès à cette page.");
    await expect(page.getByTestId('settings-form')).toHaveCount(0);
    await expect(page.locator('input[name="form[company_name]"]')).toHaveCount(0);
  });
});

test.describe('content security policy', () => {
  test('a page with the bundle hydrates under the CSP and posts its form with fetch', async ({ page }) => {
    const consoleMessages: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (msg: ConsoleMessage) => consoleMessages.push(`${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (err) => pageErrors.push(err.message));

    const response = await page.goto('/forgot', { waitUntil: 'networkidle' });
    expect(response).not.toBeNull();
    const csp = response!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("'nonce-");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    // Every script on the page carries this response's nonce.
    const scriptNonces = await page.locator('script').evaluateAll((scripts) =>
      scripts.map((s) => (s as HTMLScriptElement).nonce),
    );
    expect(scriptNonces.length).toBeGreaterThan(0);
    for (const n of scriptNonces) {
      expect(n).toBe(nonce);
    }

    const form = page.locator('form').filter({ has: page.locator('input[name="email"]') });
    await form.locator('input[name="email"]').fill(`nobody-${Date.now()}@relance.demo`);
    const sent = page.waitForRequest(
      (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/auth/request_reset',
    );
    await form.locator('button[type="submit"]').click();
    const request = await sent;
    // Sent by the hydrated app, not as a plain form navigation.
    expect(request.resourceType()).toBe('fetch');
    await expect(page.getByRole('status')).toContainText("Si un compte existe pour cette adresse");
    expect(new URL(page.url()).pathname).toBe('/forgot');
    await page.waitForLoadState('networkidle');

    const cspMessages = consoleMessages.filter((m) => /Content Security Policy/i.test(m));
    expect(cspMessages, consoleMessages.join('\n')).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  test('the sign-in page is a document under the same policy: no script at all', async ({ page }) => {
    const response = await page.goto('/login', { waitUntil: 'networkidle' });
    expect(response!.headers()['content-security-policy'] ?? '').toContain("script-src 'self'");
    await expect(page.locator('script[src], link[rel="modulepreload"]')).toHaveCount(0);
    await submitLogin(page, USERS.client, PASSWORD);
    await page.waitForURL((url) => url.pathname === PORTAL_HOME);
    await expect(page.getByRole('heading', { level: 1, name: DUPONT })).toBeVisible();
  });
});
