/**
 * Steps that teach (issue 11), in a real browser against the real server and real shells: an attendee
 * runs a step and passes its check; another fails a check, sees why, and reveals hints one at a time.
 * Uses the seed lab: its warm-up check needs only kubectl, and its cluster check fails without kind.
 */
import { expect, test } from '@playwright/test';
import { expectInTerminal, fetchLab, openLab, terminalText } from './helpers';

test('an attendee runs a step, clicks Check and sees it pass', async ({ page, request }) => {
  const lab = await fetchLab(request);
  const warmUp = lab.steps.findIndex((s) => s.hasCheck && s.commands.some((c) => c.includes('kubectl version --client')));
  expect(warmUp).toBeGreaterThanOrEqual(0);
  await openLab(page, warmUp + 1);

  await page.getByTestId('run-kubectl-client').click();
  await expectInTerminal(page, /Client Version: v\d+/);
  await page.getByTestId('check').click();
  const result = page.getByTestId('check-result');
  await expect(result).toHaveAttribute('data-passed', 'true');
  await expect(result).toContainText('Passed');
  await expect(result).toContainText(/Client Version: v\d+/);
  // Out of band: the check (the same command) was not typed into the terminal; only Run's line is there.
  expect((await terminalText(page)).match(/kubectl version --client/g)).toHaveLength(1);
});

test('another attendee sees the failure message and reveals a hint', async ({ page, request }) => {
  const lab = await fetchLab(request);
  const cluster = lab.steps.findIndex((s) => s.hasCheck && s.commands.includes('kind create cluster'));
  expect(cluster).toBeGreaterThanOrEqual(0);
  const step = lab.steps[cluster]!;
  expect(step.hints.length).toBeGreaterThan(1);
  await openLab(page, cluster + 1);

  await page.getByTestId('check').click();
  const result = page.getByTestId('check-result');
  await expect(result).toHaveAttribute('data-passed', 'false');
  await expect(result).toContainText('no cluster yet');

  await expect(page.getByTestId('hint-0')).toHaveCount(0);
  await page.getByTestId('hint-next').click();
  await expect(page.getByTestId('hint-0')).toContainText('kind create cluster');
  await expect(page.getByTestId('hint-1')).toHaveCount(0);
  await expect(page.getByTestId('hint-next')).toContainText(`${step.hints.length - 1} left`);
});
