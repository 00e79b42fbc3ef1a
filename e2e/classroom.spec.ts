/**
 * The classroom (issue 10): one instructor and two attendees, each in a browser context of their own
 * (own cookies, so own attendee and own sandbox), run through a workshop as it happens in a room:
 * both join by the link the dashboard shows, go at their own pace, the instructor sees both move
 * without a reload, sends one of them a hint, and resets the other's sandbox without touching the
 * first. Every wait is on a real UI state (the terminal's buffer, a row's text); no fixed sleeps.
 */
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { attendeeId, expectInTerminal, joinWorkshop, openWorkshop, stepTo, typeInTerminal, unlockDashboard } from './helpers';

test('two attendees and an instructor: join by the link, live progress, a hint to one, a reset of the other', async ({ browser }, testInfo) => {
  test.setTimeout(90_000);
  // The dashboard at a projector's size; the attendees on laptops.
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const ada = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const bea = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const [dash, a, b] = await Promise.all([instructor.newPage(), ada.newPage(), bea.newPage()]);
    await unlockDashboard(dash);
    await openWorkshop(dash, `Classroom ${testInfo.workerIndex}-${Date.now()}`);
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;

    // Both join by the URL the dashboard shows, at the same time, as a room does.
    await Promise.all([joinWorkshop(a, joinUrl, 'Ada'), joinWorkshop(b, joinUrl, 'Bea')]);
    const [idA, idB] = await Promise.all([attendeeId(a), attendeeId(b)]);
    expect(idA).not.toBe(idB);

    // Each leaves a mark in their own sandbox: a file in the workspace and a shell variable.
    // `$((…))` so the echo of the typed line cannot pass for the output.
    await Promise.all([leaveMark(a, 'ada', 'a$((40+2))', '[a42:ada]'), leaveMark(b, 'bea', 'b$((40+3))', '[b43:bea]')]);

    // Different paces: Ada on step 2, Bea on step 4.
    await Promise.all([stepTo(a, 2), stepTo(b, 4)]);
    const rowA = dash.locator(`tr[data-attendee="${idA}"]`);
    const rowB = dash.locator(`tr[data-attendee="${idB}"]`);
    await expect(rowA).toContainText(/2 of \d+/);
    await expect(rowB).toContainText(/4 of \d+/);
    await expect(rowA).toContainText('connected');
    await expect(rowB).toContainText('connected');
    const names = dash.getByTestId('joined-name');
    await expect(names.filter({ hasText: 'Ada' })).toContainText('step 2');
    await expect(names.filter({ hasText: 'Bea' })).toContainText('step 4');

    // Live: Ada moves on and the open dashboard follows, no reload.
    await stepTo(a, 3);
    await expect(rowA).toContainText(/3 of \d+/);
    await expect(names.filter({ hasText: 'Ada' })).toContainText('step 3');
    await attachScreenshot(dash, testInfo, 'dashboard-two-attendees');

    // A hint to Bea only: she sees it.
    await dash.getByRole('button', { name: 'Message Bea' }).click();
    const hint = `Bea, try kubectl get pods -A (${Date.now()})`;
    await dash.getByLabel('Message to Bea').fill(hint);
    await dash.getByTestId('message-one-form').getByRole('button', { name: 'Send' }).click();
    await expect(dash.getByTestId('message-one-form')).toContainText('Sent to Bea.');
    await expect(b.getByTestId('instructor-message')).toContainText(hint);
    // Ada does not: a message to her sent AFTER the hint was accepted (202) arrives on her socket,
    // which keeps order, so had the hint been routed to her too it would be there before it.
    await dash.getByRole('button', { name: 'Message Ada' }).click();
    const ping = `Ada, well done (${Date.now()})`;
    await dash.getByLabel('Message to Ada').fill(ping);
    await dash.getByTestId('message-one-form').getByRole('button', { name: 'Send' }).click();
    await expect(a.getByTestId('instructor-message').filter({ hasText: ping })).toBeVisible();
    await expect(a.getByTestId('instructor-message')).toHaveCount(1);
    await expect(a.getByText(hint)).toHaveCount(0);
    await expect(b.getByText(ping)).toHaveCount(0);

    // The instructor resets Ada: her shell comes back fresh (no variable, no file), Bea's is untouched.
    await rowA.getByTestId('reset').click();
    await rowA.getByTestId('confirm-reset').click();
    await expect(a.getByTestId('notice').filter({ hasText: 'Your sandbox was reset by the instructor' })).toBeVisible();
    await expect(a.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    await typeInTerminal(a, 'echo "after[$MARK:$(cat ~/marker 2>/dev/null || echo gone)]"');
    await expectInTerminal(a, /^after\[:gone\]$/m);
    await typeInTerminal(b, 'echo "after[$MARK:$(cat ~/marker 2>/dev/null || echo gone)]"');
    await expectInTerminal(b, /^after\[b43:bea\]$/m);
    await expect(b.getByTestId('notice').filter({ hasText: 'reset' })).toHaveCount(0);
    await expect(rowA).toContainText('connected');
    await attachScreenshot(dash, testInfo, 'dashboard-after-reset');
  } finally {
    await Promise.all([instructor.close(), ada.close(), bea.close()]);
  }
});

/** Write `word` to ~/marker and set MARK, then wait until the shell shows both read back. */
async function leaveMark(page: Page, word: string, value: string, shown: string): Promise<void> {
  await typeInTerminal(page, `echo ${word} > ~/marker; MARK=${value}`);
  await typeInTerminal(page, 'echo "[$MARK:$(cat ~/marker 2>&1)]"');
  await expectInTerminal(page, new RegExp(`^${shown.replace(/[[\]]/g, '\\$&')}$`, 'm'));
}

async function attachScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}
