import { expect, test } from '@playwright/test';
import { fetchLab, LAB_ID } from './helpers';

test('steps move with Next/Previous and the arrow keys, and the URL keeps the step', async ({ page, request }) => {
  const lab = await fetchLab(request);
  const total = lab.steps.length;
  const count = page.getByTestId('step-count');
  const title = page.getByTestId('step-title');
  const at = async (n: number) => {
    await expect(count).toHaveText(`Step ${n} of ${total}`);
    await expect(title).toHaveText(lab.steps[n - 1]!.title);
  };

  await page.goto(`/labs/${LAB_ID}`);
  await at(1);
  await expect(page.getByTestId('prev')).toBeDisabled();

  await page.getByTestId('next').click();
  await at(2);
  await page.getByTestId('next').click();
  await at(3);
  await page.getByTestId('prev').click();
  await at(2);

  // Arrow keys navigate while the terminal is not focused.
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  await page.keyboard.press('ArrowRight');
  await at(3);
  await page.keyboard.press('ArrowRight');
  await at(4);
  await page.keyboard.press('ArrowLeft');
  await at(3);
  await expect(page).toHaveURL(/[?&]step=3\b/);

  // ...but belong to the shell while the terminal has focus.
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await at(3);

  // A reload (or a shared link) lands on the same step.
  await page.reload();
  await at(3);

  // The last step cannot go further.
  await page.goto(`/labs/${LAB_ID}?step=${total}`);
  await at(total);
  await expect(page.getByTestId('next')).toBeDisabled();
});
