import { expect, test } from '@playwright/test';
import { expectInTerminal, fetchLab, openLab, typeInTerminal } from './helpers';

test('Run types a lab block into the live shell, and keystrokes reach it too', async ({ page, request }, testInfo) => {
  const lab = await fetchLab(request);
  const stepIndex = lab.steps.findIndex((s) =>
    s.blocks.some((b) => b.kind === 'code' && b.id === 'kubectl-client'),
  );
  expect(stepIndex, 'the lab has a block with +id:kubectl-client').toBeGreaterThanOrEqual(0);

  await openLab(page, stepIndex + 1);
  const run = page.getByTestId('run-kubectl-client');
  await expect(run).toBeEnabled();
  await run.click();
  await expectInTerminal(page, 'Client Version');
  // The block remembers it was run, also after a reload.
  await expect(page.getByTestId('ran-kubectl-client')).toBeVisible();

  // `he$((1+1))llo` only becomes `he2llo` when the shell evaluates it: the echo of the
  // keystrokes alone cannot satisfy this check.
  await typeInTerminal(page, 'echo he$((1+1))llo');
  await expectInTerminal(page, /^he2llo$/m);

  await page.reload();
  await expect(page.getByTestId('ran-kubectl-client')).toBeVisible();
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  // Reconnecting resumes the same shell: its earlier output is restored.
  await expectInTerminal(page, /^he2llo$/m);

  const shot = testInfo.outputPath('attendee.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('attendee', { path: shot, contentType: 'image/png' });
});

test('Copy puts the block on the clipboard', async ({ page, context, request }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const lab = await fetchLab(request);
  const stepIndex = lab.steps.findIndex((s) => s.blocks.some((b) => b.kind === 'code' && b.id === 'kubectl-client'));
  const block = lab.steps[stepIndex]!.blocks.find((b) => b.kind === 'code' && b.id === 'kubectl-client');
  if (!block || block.kind !== 'code') throw new Error('kubectl-client block not found');

  await page.goto(`/labs/${lab.id}?step=${stepIndex + 1}`);
  const copy = page.getByTestId('copy-kubectl-client');
  await copy.click();
  await expect(copy).toHaveAttribute('data-state', 'copied');
  await expect(copy).toHaveText(/Copied/);
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(block.code);
});
