import { expect, test } from '@playwright/test';
import { LAB_ID, openWorkshop, typeInTerminal, unlockDashboard } from './helpers';

test('the class view shows an attendee join, move on a step, fail commands and get stuck, live, without a reload', async ({ browser }, testInfo) => {
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const attendee = await browser.newContext();
  try {
    const dash = await instructor.newPage();
    await unlockDashboard(dash);
    await openWorkshop(dash, `Class ${testInfo.workerIndex}-${Date.now()}`);
    const view = dash.getByTestId('class-view');
    await expect(view.getByTestId('class-connection')).toHaveAttribute('data-state', 'live');
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;

    const page = await attendee.newPage();
    await page.goto(joinUrl);
    await page.getByTestId('join-name').fill('Lin');
    await page.getByTestId('join-submit').click();
    await expect(page).toHaveURL(new RegExp(`/labs/${LAB_ID}`));
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });

    // The dashboard was never reloaded: every change below arrives over the class socket.
    const row = view.locator('tr[data-testid="class-row"]', { hasText: 'Lin' });
    await expect(row).toBeVisible();
    await expect(row.getByTestId('class-step')).toHaveText(/^1 of \d+$/);
    await expect(row).toContainText('online');
    const chart = view.getByTestId('step-chart');
    await expect(chart.locator('li[data-step="0"]')).toHaveAttribute('data-on', '1');

    await page.getByTestId('next').click();
    await expect(row.getByTestId('class-step')).toHaveText(/^2 of \d+$/);
    await expect(chart.locator('li[data-step="1"]')).toHaveAttribute('data-on', '1');
    await expect(chart.locator('li[data-step="0"]')).toHaveAttribute('data-past', '1');

    await typeInTerminal(page, 'false');
    await expect(row.getByTestId('class-failed')).toHaveText('1');
    await expect(row).toContainText('running');

    // The instructor tightens the stuck rule; a second failure in a row makes the row stuck, with why.
    await view.getByLabel('Failing commands in a row').fill('2');
    await view.getByTestId('stuck-form').getByRole('button', { name: 'Apply' }).click();
    await typeInTerminal(page, 'ls /nonexistent');
    await expect(row).toHaveAttribute('data-stuck', 'true');
    await expect(row.getByTestId('stuck-reason')).toHaveText('stuck: 2 failing commands in a row on step 2');
    await expect(row.getByTestId('class-failed')).toHaveText('2');

    // Sorting by a header, by keyboard: the header says how the table is sorted.
    await view.getByTestId('sort-failed').focus();
    await dash.keyboard.press('Enter');
    await expect(view.locator('th[aria-sort="ascending"]')).toContainText('Failed commands');
    await dash.screenshot({ path: testInfo.outputPath('class-view.png'), fullPage: true });
  } finally {
    await instructor.close();
    await attendee.close();
  }
});
