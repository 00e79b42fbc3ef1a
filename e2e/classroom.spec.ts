/**
 * The classroom (issue 10): one instructor and two attendees, each in a browser context of their own
 * (own cookies, so own attendee and own sandbox), run through a workshop as it happens in a room:
 * both join by the link the dashboard shows and go at their own pace; the class view shows both move
 * without a reload; the instructor watches one (who sees the notice), sends the other a hint, presents
 * a step that moves whoever follows, and resets the first's sandbox without touching the second's.
 * Every wait is on a real UI state (a terminal's buffer, a row's text, a URL); no fixed sleeps.
 */
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { attendeeId, expectInTerminal, joinWorkshop, openWorkshop, stepTo, typeInTerminal, unlockDashboard } from './helpers';

test('two attendees and an instructor: join by the link, live class view, watch one, hint the other, present, reset one', async ({ browser }, testInfo) => {
  // Three pages and two shells: 17-33 s alone on this 2-core host, ~60 s with three copies at once,
  // 85 s once under a load average of 27.
  test.setTimeout(120_000);
  // The dashboard at a projector's size; the attendees on laptops.
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const ada = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const bea = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const [dash, a, b] = await Promise.all([instructor.newPage(), ada.newPage(), bea.newPage()]);
    await unlockDashboard(dash);
    await openWorkshop(dash, `Classroom ${testInfo.workerIndex}-${Date.now()}`);
    const view = dash.getByTestId('class-view');
    await expect(view.getByTestId('class-connection')).toHaveAttribute('data-state', 'live');
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;
    // The names are this run's own: the dashboard's watch list shows every connected attendee of the
    // server, and other specs run beside this one.
    const suffix = String(Date.now() % 100_000);
    const nameA = `Ada${suffix}`;
    const nameB = `Bea${suffix}`;

    const [idA, idB] = await test.step('both join by the link', async () => {
      // At the same time, as a room does.
      await Promise.all([joinWorkshop(a, joinUrl, nameA), joinWorkshop(b, joinUrl, nameB)]);
      const ids = await Promise.all([attendeeId(a), attendeeId(b)]);
      expect(ids[0]).not.toBe(ids[1]);
      // Each leaves a mark in their own sandbox: a file in the workspace and a shell variable.
      // `$((…))` so the echo of the typed line cannot pass for the output.
      await Promise.all([leaveMark(a, 'ada', 'a$((40+2))', '[a42:ada]'), leaveMark(b, 'bea', 'b$((40+3))', '[b43:bea]')]);
      return ids;
    });
    const rowA = view.locator(`tr[data-attendee="${idA}"]`);
    const rowB = view.locator(`tr[data-attendee="${idB}"]`);
    const chart = view.getByTestId('step-chart');

    await test.step('different paces, live in the class view', async () => {
      // Ada on step 2, Bea on step 4. The dashboard is never reloaded: the class socket pushes each change.
      await Promise.all([stepTo(a, 2), stepTo(b, 4)]);
      await expect(rowA.getByTestId('class-step')).toHaveText(/^2 of \d+$/);
      await expect(rowB.getByTestId('class-step')).toHaveText(/^4 of \d+$/);
      await expect(rowA).toContainText('online');
      await expect(rowB).toContainText('online');
      await expect(chart.locator('li[data-step="1"]')).toHaveAttribute('data-on', '1');
      await expect(chart.locator('li[data-step="3"]')).toHaveAttribute('data-on', '1');
      // Ada moves on; the row and the chart follow.
      await stepTo(a, 3);
      await expect(rowA.getByTestId('class-step')).toHaveText(/^3 of \d+$/);
      await expect(chart.locator('li[data-step="2"]')).toHaveAttribute('data-on', '1');
      await expect(chart.locator('li[data-step="1"]')).toHaveAttribute('data-on', '0');
      await attachScreenshot(dash, testInfo, 'dashboard-two-attendees');
    });

    await test.step('the instructor watches Ada', async () => {
      // Her own shell (its screen restored shows her mark), and she sees the notice; Bea does not.
      await expect(a.getByTestId('watch-notice')).toHaveCount(0);
      await dash.getByRole('button', { name: `Watch ${nameA}`, exact: true }).click();
      await expect(a.getByTestId('watch-notice')).toContainText('The instructor is watching your terminal');
      await expect.poll(() => watchedText(dash), { message: "the watch pane shows Ada's screen" }).toMatch(/^\[a42:ada\]$/m);
      await expect(b.getByTestId('watch-notice')).toHaveCount(0);
      await attachScreenshot(dash, testInfo, 'dashboard-watching-ada');
      await attachScreenshot(a, testInfo, 'attendee-ada-watched');
      await dash.getByRole('button', { name: 'Stop watching' }).click();
      await expect(a.getByTestId('watch-notice')).toHaveCount(0);
    });

    await test.step('a hint to Bea only', async () => {
      await rowB.getByRole('button', { name: `Message ${nameB}`, exact: true }).click();
      const hint = `Bea, try kubectl get pods -A (${suffix})`;
      // The form opens below the class table, addressed to the row's attendee.
      await view.getByLabel(`Message to ${nameB}`).fill(hint);
      await view.getByTestId('message-one-form').getByRole('button', { name: 'Send' }).click();
      await expect(view.getByTestId('message-one-form')).toContainText(`Sent to ${nameB}.`);
      await expect(b.getByTestId('instructor-message')).toContainText(hint);
      // Ada does not: a message to her sent AFTER the hint was accepted (202) arrives on her socket,
      // which keeps order, so had the hint been routed to her too it would be there before it.
      await rowA.getByRole('button', { name: `Message ${nameA}`, exact: true }).click();
      const ping = `Ada, well done (${suffix})`;
      await view.getByLabel(`Message to ${nameA}`).fill(ping);
      await view.getByTestId('message-one-form').getByRole('button', { name: 'Send' }).click();
      await expect(a.getByTestId('instructor-message').filter({ hasText: ping })).toBeVisible();
      await expect(a.getByTestId('instructor-message')).toHaveCount(1);
      await expect(b.getByText(ping)).toHaveCount(0);
    });

    await test.step('presenter mode moves Bea, who follows', async () => {
      // Bea follows the instructor, Ada keeps her own pace.
      await choosePresentedWorkshop(dash);
      await dash.getByTestId('present-start').click();
      await expect(dash.getByTestId('presenter-current')).toContainText('Presenting step 1');
      await expect(b.getByTestId('presenter-follow')).toContainText('Instructor: step 1');
      await expect(a.getByTestId('presenter-follow')).toContainText('Instructor: step 1');
      await b.getByTestId('follow-toggle').check();
      await expect(b.getByTestId('step-count')).toHaveText(/^Step 1 of \d+$/);
      await dash.getByTestId('presenter-next').click();
      await expect(dash.getByTestId('presenter-current')).toContainText('Presenting step 2');
      await expect(b.getByTestId('step-count')).toHaveText(/^Step 2 of \d+$/);
      await expect(rowB.getByTestId('class-step')).toHaveText(/^2 of \d+$/);
      await expect(a.getByTestId('presenter-follow')).toContainText('Instructor: step 2');
      await expect(a.getByTestId('step-count')).toHaveText(/^Step 3 of \d+$/);
      await expect(rowA.getByTestId('class-step')).toHaveText(/^3 of \d+$/);
    });

    await test.step('the instructor resets Ada, Bea untouched', async () => {
      // Ada's shell comes back fresh (no variable, no file); Bea's keeps both, and no notice.
      await rowA.getByTestId('reset').click();
      await rowA.getByTestId('confirm-reset').click();
      await expect(a.getByTestId('notice').filter({ hasText: 'Your sandbox was reset by the instructor' })).toBeVisible();
      await expect(a.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
      await typeInTerminal(a, 'echo "after[$MARK:$(cat ~/marker 2>/dev/null || echo gone)]"');
      await expectInTerminal(a, /^after\[:gone\]$/m);
      await typeInTerminal(b, 'echo "after[$MARK:$(cat ~/marker 2>/dev/null || echo gone)]"');
      await expectInTerminal(b, /^after\[b43:bea\]$/m);
      await expect(b.getByTestId('notice').filter({ hasText: 'reset' })).toHaveCount(0);
      await expect(rowA).toContainText('running');
      await expect(rowB.getByTestId('class-step')).toHaveText(/^2 of \d+$/);
      await attachScreenshot(dash, testInfo, 'dashboard-after-reset');
    });
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

interface BufferLine {
  translateToString(trimRight?: boolean): string;
}

/** Every line of the dashboard's watched terminal (xterm's buffer, as terminalText reads the attendee's). */
function watchedText(dash: Page): Promise<string> {
  return dash.evaluate(() => {
    const handle = (window as unknown as { __labdeckWatch?: { term: { buffer: { active: { length: number; getLine(i: number): BufferLine | undefined } } } } }).__labdeckWatch;
    const buf = handle?.term.buffer.active;
    if (!buf) return '';
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  });
}

/**
 * The presenter panel polls the open workshops and presents the first unless told otherwise; other
 * specs open theirs beside this one. Pick this one by its code until the panel says it presents it.
 */
async function choosePresentedWorkshop(dash: Page): Promise<void> {
  const code = (await dash.getByTestId('join-code-shown').textContent())!.trim();
  const panel = dash.getByTestId('live-panel');
  const select = panel.getByLabel('Workshop presented');
  await expect
    .poll(
      async () => {
        const option = select.locator('option', { hasText: `${code} ·` });
        if ((await option.count()) === 1 && (await select.inputValue()) !== (await option.getAttribute('value'))) {
          await select.selectOption({ label: (await option.textContent())! });
        }
        return panel.getAttribute('data-workshop-code');
      },
      { message: `the presenter panel presents workshop ${code}` },
    )
    .toBe(code);
}

async function attachScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}
