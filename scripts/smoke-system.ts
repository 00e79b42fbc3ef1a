/**
 * `npm test`'s smoke test of the host, run after setup-system.sh and the image build and before any
 * test: the podman host checks that `npm run doctor` also runs (server/sandbox/podman/host-check.ts: catatonit,
 * /dev/fuse, a real `--init` container, a nested container inside an isolated sandbox made by
 * PodmanDriver itself), plus a Chromium launch the way the end-to-end tests launch it. One line per
 * check; a failure names what is missing and the fix, and the exit code is 1. A few seconds.
 *
 * TypeScript, not bash: the nested check must use the driver's own run flags, firewall rule and cgroup
 * parent, not a copy of them that could drift.
 *   npx tsx scripts/smoke-system.ts     (LABDECK_SKIP_PODMAN=1 skips the podman checks)
 */
import { randomBytes } from 'node:crypto';
import { chromium } from '@playwright/test';
import { PODMAN_DEFAULTS, PodmanDriver } from '../server/sandbox/podman/driver.js';
import { type HostCheck, formatCheck, hostChecks } from '../server/sandbox/podman/host-check.js';

// The config creates a data dir for the e2e server unless one is given; the smoke starts no server.
process.env.LABDECK_E2E_DATA_DIR ??= '';
const { default: e2eConfig } = await import('../playwright.config.js');

/** Launch Chromium with the e2e tests' own launch options and render a page. */
async function checkChromium(): Promise<HostCheck> {
  const name = 'chromium';
  const launch = e2eConfig.use?.launchOptions ?? {};
  const started = performance.now();
  try {
    const browser = await chromium.launch({ ...launch, timeout: 30_000 });
    try {
      const page = await browser.newPage();
      await page.setContent('<p id="x">smoke</p>');
      const text = await page.textContent('#x');
      if (text !== 'smoke') return { name, ok: false, detail: `rendered ${JSON.stringify(text)} instead of "smoke"` };
      return { name, ok: true, detail: `${launch.executablePath ?? 'chromium'} ${browser.version()} (${Math.round(performance.now() - started)} ms)` };
    } finally {
      await browser.close();
    }
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    return { name, ok: false, detail: `cannot launch ${launch.executablePath ?? 'chromium'}: ${first.slice(0, 200)}`, fix: 'apt-get install --no-install-recommends chromium (or bash scripts/setup-system.sh)' };
  }
}

const checks: HostCheck[] = [];
if (process.env.LABDECK_SKIP_PODMAN === '1') {
  console.log('smoke: LABDECK_SKIP_PODMAN=1, podman checks skipped');
} else {
  // The tests' sandboxes are isolated ones; a workshop name of its own keeps this run's sandbox apart.
  const driver = new PodmanDriver({ workshop: `smoke${process.pid}${randomBytes(2).toString('hex')}`, isolation: 'isolated' });
  try {
    checks.push(...(await hostChecks(driver, { image: PODMAN_DEFAULTS.image, isolation: 'isolated' })));
  } finally {
    await driver.close();
  }
}
checks.push(await checkChromium());

for (const c of checks) console.log(`  ${formatCheck(c)}`);
const bad = checks.filter((c) => !c.ok);
const podmanBlocked = bad.length > 0 && !checks.some((c) => c.name === 'container with --init') && process.env.LABDECK_SKIP_PODMAN !== '1';
if (podmanBlocked) console.log('  (containers not started: fix the lines above first)');
console.log(bad.length ? `smoke: ${bad.length} problem(s) on this host` : 'smoke: the host is ready');
process.exit(bad.length ? 1 : 0);
