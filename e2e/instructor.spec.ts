import { expect, test } from '@playwright/test';
import { attendeeId, expectInTerminal, openLab, terminalText, typeInTerminal, unlockDashboard } from './helpers';

test('the instructor sees the attendee and a reset gives them a fresh, working shell', async ({ page, browser }) => {
  await openLab(page, 3);
  const me = await attendeeId(page);
  await typeInTerminal(page, 'echo be$((2+2))fore');
  await expectInTerminal(page, /^be4fore$/m);

  const instructorContext = await browser.newContext();
  const dash = await instructorContext.newPage();
  try {
    await unlockDashboard(dash);

    const row = dash.locator(`tr[data-attendee="${me}"]`);
    await expect(row).toContainText('Kubernetes meets Rust');
    await expect(row).toContainText(/3 of \d+/);
    await expect(row).toContainText('connected');

    await row.getByTestId('reset').click();
    await row.getByTestId('confirm-reset').click();

    await expect(page.getByTestId('notice').filter({ hasText: 'Your sandbox was reset by the instructor' })).toBeVisible();
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    // The screen was cleared, and the new shell answers.
    expect(await terminalText(page)).not.toMatch(/^be4fore$/m);
    await typeInTerminal(page, 'echo af$((3+3))ter');
    await expectInTerminal(page, /^af6ter$/m);
  } finally {
    await instructorContext.close();
  }
});

test('a wrong instructor token is refused', async ({ page }) => {
  await page.goto('/instructor');
  await page.getByTestId('token-input').fill('not-the-token');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByTestId('token-input')).toBeVisible();
  await expect(page.getByTestId('token-error')).toBeVisible();
});
