import { expect, test } from '@playwright/test';
import { openWorkshop, unlockDashboard } from './helpers';

test('the instructor sends a hint to one attendee, who sees it as text until they dismiss it with the keyboard', async ({ browser }, testInfo) => {
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const attendee = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const dash = await instructor.newPage();
    await unlockDashboard(dash);
    await openWorkshop(dash, `Messages ${testInfo.workerIndex}-${Date.now()}`);
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;

    const page = await attendee.newPage();
    await page.goto(joinUrl);
    await page.getByTestId('join-name').fill('Bo');
    await page.getByTestId('join-submit').click();
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });

    await dash.getByRole('button', { name: 'Message Bo' }).click();
    const hint = 'Try <b>kubectl get pods -A</b>';
    await dash.getByLabel('Message to Bo').fill(hint);
    await dash.getByTestId('message-one-form').getByRole('button', { name: 'Send' }).click();
    await expect(dash.getByTestId('message-one-form')).toContainText('Sent to Bo.');

    const notice = page.getByTestId('instructor-message');
    await expect(notice).toContainText(hint);
    await expect(notice.locator('b')).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('attendee-hint.png') });

    // Kept until dismissed: a reload shows it again.
    await page.reload();
    await expect(notice).toContainText(hint, { timeout: 30_000 });
    const dismiss = notice.getByRole('button', { name: 'Dismiss' });
    await dismiss.focus();
    await page.keyboard.press('Enter');
    await expect(notice).toHaveCount(0);

    // Dismissed is for good: after a reload, a message to everyone arrives and the hint does not.
    await page.reload();
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    await dash.getByLabel('Message to everyone').fill('Break in 5 minutes');
    await dash.getByTestId('message-all-form').getByRole('button', { name: 'Send' }).click();
    await expect(notice).toHaveText(/Break in 5 minutes/);
    await expect(notice).toHaveCount(1);
  } finally {
    await instructor.close();
    await attendee.close();
  }
});
