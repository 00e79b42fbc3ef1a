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
// A second server for the fixture labs (e2e/fixtures/labs/), 100 above so parallel runs on other
// E2E_PORTs do not meet.
const FIXTURE_PORT = Number(process.env.E2E_FIXTURE_PORT ?? PORT + 100);
const FIXTURE_URL = `http://127.0.0.1:${FIXTURE_PORT}`;
/** Specs that run against the fixture labs' server. */
const FIXTURE_SPECS = /teach-fixtures\.spec\.ts$/;
const INSTRUCTOR_TOKEN = 'e2e-instructor-token';

// The config is evaluated in the runner and again in every worker: create the data dir once and
// hand it down through the environment, which workers inherit.
const DATA_DIR = (process.env.LABDECK_E2E_DATA_DIR ??= mkdtempSync(path.join(tmpdir(), 'labdeck-e2e-')));
// The fixture server's own data (store, workspaces), inside the first one's: one folder to remove.
const FIXTURE_DATA_DIR = path.join(DATA_DIR, 'fixture-labs');

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
  projects: [
    { name: 'chromium', use: { browserName: 'chromium' }, testIgnore: FIXTURE_SPECS },
    { name: 'fixture-labs', use: { browserName: 'chromium', baseURL: FIXTURE_URL }, testMatch: FIXTURE_SPECS },
  ],
  // Started one after the other: the first builds the UI when it changed, the second finds it built.
  webServer: [server(PORT, 'labs', DATA_DIR), server(FIXTURE_PORT, 'e2e/fixtures/labs', FIXTURE_DATA_DIR)],
});

function server(port: number, labsDir: string, dataDir: string) {
  return {
    command,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    // A SIGTERM lets the server end its sandboxes (with the local driver as root, their own users'
    // processes, e.g. podman's pause process) instead of leaving them behind a SIGKILL.
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 10_000 },
    timeout: 180_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      LABS_DIR: labsDir,
      LABDECK_DATA_DIR: dataDir,
      INSTRUCTOR_TOKEN,
      NEXT_TELEMETRY_DISABLED: '1',
    },
  };
}
