import { expect, test } from '@playwright/test';
import { expectInTerminal, openLab, typeInTerminal } from './helpers';

test('output larger than the flow-control window arrives whole (acks keep the shell going)', async ({ page }) => {
  await openLab(page);
  // About 2 MB: twice HIGH_WATERMARK, so the shell would stay paused without acks.
  await typeInTerminal(page, 'seq 1 300000; echo do$((4-3))ne');
  await expectInTerminal(page, /^299999\n300000\ndo1ne$/m, 45_000);
});

test('a second tab takes the shell over, and "Use this tab" takes it back', async ({ context }) => {
  const first = await context.newPage();
  await openLab(first);
  await typeInTerminal(first, 'export TABMARK=ta$((5*5))b');

  const second = await context.newPage();
  await openLab(second);
  await expect(first.getByTestId('conn-status')).toHaveAttribute('data-state', 'taken-over');
  // Same attendee, same shell: the variable set in the first tab is there.
  await typeInTerminal(second, 'echo $TABMARK');
  await expectInTerminal(second, /^ta25b$/m);

  await first.getByTestId('take-back').click();
  await expect(first.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected');
  await expect(second.getByTestId('conn-status')).toHaveAttribute('data-state', 'taken-over');
  await typeInTerminal(first, 'echo back-$TABMARK');
  await expectInTerminal(first, /^back-ta25b$/m);
});

test('when the shell exits, "Start a new sandbox" gives a fresh one', async ({ page }) => {
  await openLab(page);
  await typeInTerminal(page, 'exit');
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'sandbox-gone');
  await page.getByTestId('recreate').click();
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await typeInTerminal(page, 'echo ne$((9-2))w');
  await expectInTerminal(page, /^ne7w$/m);
});
