/**
 * Steps that teach (issue 11) on the e2e fixture labs (e2e/fixtures/labs/, served by the second
 * server of playwright.config.ts, project `fixture-labs`): `requireCheck` holds Next until the step's
 * check passes, and a python `+exec` snippet runs in the attendee's sandbox with its output streamed
 * under the block.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectInTerminal, terminalText, typeInTerminal } from './helpers';

async function open(page: Page, lab: string, step?: number): Promise<void> {
  await page.goto(`/labs/${lab}${step ? `?step=${step}` : ''}`);
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
}

test('requireCheck: Next is held until the check passes, then lets the attendee on', async ({ page }) => {
  await open(page, 'require-check', 2);
  await expect(page.getByTestId('step-count')).toHaveText('Step 2 of 3');
  const next = page.getByTestId('next');
  await expect(next).toBeDisabled();
  await expect(page.getByTestId('next-blocked')).toBeVisible();

  // A failing check keeps it held, and the → key does not get past it either.
  await page.getByTestId('check').click();
  const result = page.getByTestId('check-result');
  await expect(result).toHaveAttribute('data-passed', 'false');
  await expect(result).toContainText('no marker in your home yet');
  await page.locator('body').press('ArrowRight');
  await expect(page.getByTestId('step-count')).toHaveText('Step 2 of 3');
  await expect(next).toBeDisabled();

  await page.getByTestId('run-make-marker').click();
  // Only the command's output says made-42 (its echo says made-$((40+2))).
  await expectInTerminal(page, /made-42/);
  await page.getByTestId('check').click();
  await expect(result).toHaveAttribute('data-passed', 'true');
  await expect(page.getByTestId('next-blocked')).toHaveCount(0);
  await expect(next).toBeEnabled();
  await next.click();
  await expect(page.getByTestId('step-count')).toHaveText('Step 3 of 3');
});

test('a python +exec snippet runs out of band and its output streams under the block', async ({ page }) => {
  await open(page, 'snippets', 2);
  const block = page.getByTestId('block-py');
  // presenterm's hidden lines (`/// `) run but are not shown.
  await expect(block).toContainText('print("waiting for go", flush=True)');
  await expect(block).not.toContainText('import os');

  await page.getByTestId('run-py').click();
  const output = page.getByTestId('output-py');
  // The snippet waits for a file: its first line can only be here, while it runs, if it is streamed.
  await expect(output).toContainText('waiting for go');
  await expect(output).toHaveAttribute('data-state', 'running');
  await typeInTerminal(page, 'touch ~/go-e2e && echo go-$((1+1))');
  await expectInTerminal(page, /go-2/);
  await expect(output).toHaveAttribute('data-state', 'ok');
  await expect(output).toContainText('finished 42');
  // Out of band: nothing of the snippet reached the terminal.
  expect(await terminalText(page)).not.toMatch(/waiting for go|finished 42/);
});
