import { defineConfig, devices } from '@playwright/test';

// The server is started by scripts/e2e.sh (fresh SQLite database, seeded demo
// data), which passes its address in RELANCE_E2E_URL. Browsers are never
// downloaded: the system Chromium is used.
const baseURL = process.env.RELANCE_E2E_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  testDir: 'tests',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL,
    // The UI defaults to French; make the browser ask for it too, so an
    // anonymous page is French whether or not Accept-Language is honoured.
    locale: 'fr-FR',
    acceptDownloads: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    navigationTimeout: 30_000,
    actionTimeout: 15_000,
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        locale: 'fr-FR',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
