// Watch, take control with consent, and presenter mode (issue 10), with the instructor and the
// attendees in separate browser contexts. Terminals are read from xterm's buffers, never from pixels;
// commands are typed as `echo ty${x}ped` so the echo of the keys cannot pass for their output.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { expectInTerminal, openWorkshop, typeInTerminal, unlockDashboard } from './helpers';

interface BufferLine {
  translateToString(trimRight?: boolean): string;
}
interface WatchHandle {
  term: { buffer: { active: { length: number; getLine(i: number): BufferLine | undefined } } };
}

/** Every line of the dashboard's watched terminal. */
function watchedText(dash: Page): Promise<string> {
  return dash.evaluate(() => {
    const buf = (window as unknown as { __labdeckWatch?: WatchHandle }).__labdeckWatch?.term.buffer.active;
    if (!buf) return '';
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  });
}

async function joinAs(browser: Browser, joinUrl: string, name: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await ctx.newPage();
  await page.goto(joinUrl);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  return page;
}

/** The dashboard's live panel may list other tests' open workshops: pick this one by its code. */
async function chooseWorkshop(dash: Page): Promise<void> {
  const code = (await dash.getByTestId('join-code-shown').textContent())!.trim();
  const select = dash.getByLabel('Workshop presented');
  await expect(dash.getByTestId('live-panel')).toBeVisible();
  if ((await select.count()) === 0) return;
  const value = await select.locator('option', { hasText: `${code} ·` }).getAttribute('value');
  await select.selectOption(value);
}

test('the instructor watches Ana: she sees the notice, accepts control with the keyboard, and takes it back', async ({ browser }, testInfo) => {
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const dash = await instructor.newPage();
    await unlockDashboard(dash);
    await openWorkshop(dash, `Watch ${testInfo.workerIndex}-${Date.now()}`);
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;
    const name = `Ana${Date.now() % 100000}`;
    const ana = await joinAs(browser, joinUrl, name);
    await typeInTerminal(ana, 'x=; echo be${x}fore');
    await expectInTerminal(ana, /^before/m);
    await expect(ana.getByTestId('watch-notice')).toHaveCount(0);

    await dash.getByRole('button', { name: `Watch ${name}` }).click();
    await expect(ana.getByTestId('watch-notice')).toBeVisible();
    await expect(ana.getByTestId('watch-notice')).toContainText('The instructor is watching your terminal');
    // The same shell, its screen restored: what Ana typed before the watch began is there.
    await expect.poll(() => watchedText(dash)).toMatch(/^before/m);
    await typeInTerminal(ana, 'echo li${x}ve');
    await expect.poll(() => watchedText(dash)).toMatch(/^live/m);
    await ana.screenshot({ path: testInfo.outputPath('attendee-watched.png') });

    // Take control: Ana's page prompts, the Accept button has the focus, Enter accepts.
    await dash.getByRole('button', { name: 'Take control' }).click();
    await expect(ana.getByTestId('control-prompt')).toBeVisible();
    await expect(ana.getByRole('button', { name: 'Accept' })).toBeFocused();
    await ana.screenshot({ path: testInfo.outputPath('attendee-control-prompt.png') });
    await ana.keyboard.press('Enter');
    await expect(dash.getByTestId('watch-pane')).toHaveAttribute('data-control', 'granted');
    await expect(ana.getByTestId('control-granted')).toBeVisible();
    await dash.getByTestId('watch-terminal').click();
    await dash.keyboard.type('echo ty${x}ped');
    await dash.keyboard.press('Enter');
    await expectInTerminal(ana, /^typed/m);
    await dash.screenshot({ path: testInfo.outputPath('dashboard-watch-control.png'), fullPage: true });

    // Ana takes it back: the dashboard is read-only again.
    await ana.getByRole('button', { name: 'Take back' }).click();
    await expect(dash.getByTestId('watch-pane')).toHaveAttribute('data-control', 'none');
    await expect(dash.getByTestId('watch-state')).toContainText('read-only');

    await dash.getByRole('button', { name: 'Stop watching' }).click();
    await expect(ana.getByTestId('watch-notice')).toHaveCount(0);
    await ana.context().close();
  } finally {
    await instructor.close();
  }
});

test('presenter mode moves an attendee who follows; the speaker notes show only on the dashboard', async ({ browser }, testInfo) => {
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const dash = await instructor.newPage();
    await unlockDashboard(dash);
    await openWorkshop(dash, `Present ${testInfo.workerIndex}-${Date.now()}`);
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;
    const bo = await joinAs(browser, joinUrl, 'Bo');
    await expect(bo.getByTestId('presenter-follow')).toHaveCount(0);

    await chooseWorkshop(dash);
    await dash.getByTestId('present-start').click();
    await expect(dash.getByTestId('presenter-current')).toContainText('Presenting step 1');
    await expect(bo.getByTestId('presenter-follow')).toContainText('Instructor: step 1');
    await bo.getByTestId('follow-toggle').check();
    await expect(bo.getByTestId('step-count')).toContainText(/\b1\b/);

    await dash.getByTestId('presenter-next').click();
    await expect(dash.getByTestId('presenter-current')).toContainText('Presenting step 2');
    await expect(bo).toHaveURL(/[?&]step=2\b/);
    await dash.getByTestId('presenter-next').click();
    await expect(dash.getByTestId('presenter-current')).toContainText('Presenting step 3');
    // The seed lab's step 3 ("Warm-up") has speaker notes: on the dashboard, never on the attendee's page.
    await expect(dash.getByTestId('presenter-notes')).toContainText('Give the room two minutes');
    await expect(bo).toHaveURL(/[?&]step=3\b/);
    await expect(bo.getByTestId('step-title')).toContainText('Warm-up');
    await expect(bo.getByText('Give the room two minutes')).toHaveCount(0);
    await dash.screenshot({ path: testInfo.outputPath('dashboard-presenter.png'), fullPage: true });
    await bo.screenshot({ path: testInfo.outputPath('attendee-following.png') });

    // Going at one's own pace: unfollowed, the page stays when the presenter moves on.
    await bo.getByTestId('follow-toggle').uncheck();
    await dash.getByTestId('presenter-next').click();
    await expect(bo.getByTestId('presenter-follow')).toContainText('Instructor: step 4');
    await expect(bo).toHaveURL(/[?&]step=3\b/);
    await bo.getByRole('button', { name: 'Go to step 4' }).click();
    await expect(bo).toHaveURL(/[?&]step=4\b/);
    await bo.context().close();
  } finally {
    await instructor.close();
  }
});
