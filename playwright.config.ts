/**
 * End-to-end tests in Debian's Chromium (`npx playwright install` has no network here) against the
 * real server: real Next build, real WebSocket, real shells from the local sandbox driver.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 3107);
const BASE_URL = `http://127.0.0.1:${PORT}`;
const INSTRUCTOR_TOKEN = 'e2e-token';

// The config is evaluated in the runner and again in every worker: create the data dir once and
// hand it down through the environment, which workers inherit.
process.env.LABDECK_E2E_DATA_DIR ??= mkdtempSync(path.join(tmpdir(), 'labdeck-e2e-'));

// `npm start` builds the UI when its sources changed, then runs server/main.ts.
// E2E_DEV=1 runs Next in dev mode instead (no build; slower first page loads).
const command = process.env.E2E_DEV ? 'npx tsx server/main.ts --dev' : 'node scripts/start.mjs';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  // Each test is one attendee with a real shell; a handful at once is plenty for one host.
  workers: process.env.CI ? 2 : 3,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    baseURL: BASE_URL,
    viewport: { width: 1600, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    command,
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: false,
    // A SIGTERM lets the server end its sandboxes (with the local driver as root, their own users'
    // processes, e.g. podman's pause process) instead of leaving them behind a SIGKILL.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    timeout: 180_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LABDECK_DATA_DIR: process.env.LABDECK_E2E_DATA_DIR,
      INSTRUCTOR_TOKEN,
      NEXT_TELEMETRY_DISABLED: '1',
    },
  },
});
