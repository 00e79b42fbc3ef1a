import { expect, test, type Page } from '@playwright/test';
import { expectInTerminal, openWorkshop, typeInTerminal, unlockDashboard } from './helpers';

/** Join the workshop at `joinUrl` as `name` and wait for the shell. */
async function joinAs(page: Page, joinUrl: string, name: string): Promise<void> {
  await page.goto(joinUrl);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
}

test('the capacity panel: prepare with progress, reset a selection after confirming, pause and resume', async ({ browser }, testInfo) => {
  // Two attendees, a prepare, a reset and a pause/resume: minutes on a loaded machine, not one.
  test.setTimeout(180_000);
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const attendees = await Promise.all([browser.newContext(), browser.newContext()]);
  try {
    const dash = await instructor.newPage();
    await unlockDashboard(dash);
    const title = `Capacity ${testInfo.workerIndex}-${Date.now()}`;
    await openWorkshop(dash, title);
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;
    const panel = dash.getByTestId('capacity-panel');
    // Other specs open workshops on the same server: pick ours where there is a choice.
    const choose = panel.getByLabel('Workshop');
    if (await choose.count()) await choose.selectOption({ label: (await choose.locator('option', { hasText: title }).textContent())! });
    await expect(panel.getByTestId('capacity-line')).toContainText('0 joined of 100');

    await panel.getByLabel('Sandboxes to prepare').fill('1');
    await panel.getByTestId('prepare').click();
    await expect(panel.getByTestId('prepare-progress')).toContainText('Prepared 1 of 1: 1 ready', { timeout: 30_000 });

    const [ana, bo] = await Promise.all(attendees.map((c) => c.newPage()));
    await joinAs(ana!, joinUrl, 'Ana');
    await joinAs(bo!, joinUrl, 'Bo');
    await expect(panel.getByTestId('capacity-line')).toContainText('2 in use · 2 joined of 100');
    await typeInTerminal(bo!, 'echo bo-$((40+2)) > ~/bo.txt');

    // Reset Ana only, after the confirmation that names how many.
    const resets = panel.getByTestId('reset-many');
    await resets.getByLabel('Ana').check();
    await resets.getByTestId('reset-selected').click();
    await expect(resets.getByTestId('confirm-reset-many')).toContainText('Reset 1 sandbox?');
    await dash.screenshot({ path: testInfo.outputPath('capacity-panel-confirm.png'), fullPage: true });
    await resets.getByTestId('confirm-reset-many').click();
    await expect(resets.locator('li', { hasText: 'Ana' }).getByTestId('reset-state')).toHaveText('done', { timeout: 30_000 });
    await expect(resets.locator('li', { hasText: 'Bo' }).getByTestId('reset-state')).toHaveCount(0);
    await expect(ana!.getByText('Your sandbox was reset by the instructor')).toBeVisible();

    // Pause: the attendee is told and has no shell; resume gives it back with the file.
    await panel.getByTestId('pause').click();
    await expect(bo!.getByText(/The workshop is paused/).first()).toBeVisible({ timeout: 30_000 });
    await expect(bo!.getByTestId('conn-status')).not.toHaveAttribute('data-state', 'connected');
    await bo!.screenshot({ path: testInfo.outputPath('attendee-paused.png') });
    await dash.screenshot({ path: testInfo.outputPath('capacity-panel-paused.png'), fullPage: true });
    await panel.getByTestId('resume').click();
    await expect(bo!.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    await typeInTerminal(bo!, 'cat ~/bo.txt');
    await expectInTerminal(bo!, /^bo-42$/m);
  } finally {
    await Promise.all([instructor.close(), ...attendees.map((c) => c.close())]);
  }
});
