import { expect, test, type Page } from '@playwright/test';
import { codeBlocks } from '../common/lab-model';
import { expectInTerminal, fetchLab, openLab, typeInTerminal } from './helpers';

/** The active buffer's kind and its first lines, as the attendee sees them. */
function screen(page: Page): Promise<{ type: string; top: string[] }> {
  return page.evaluate(() => {
    const h = (window as unknown as { __labdeck?: { term: { buffer: { active: { type: string; viewportY: number; getLine(i: number): { translateToString(t?: boolean): string } | undefined } } } } }).__labdeck;
    if (!h) return { type: 'none', top: [] };
    const b = h.term.buffer.active;
    const top: string[] = [];
    for (let i = 0; i < 3; i++) top.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    return { type: b.type, top };
  });
}

test('a reload in the middle of a full-screen program finds the same screen, and the program still runs', async ({ page }) => {
  await openLab(page);
  // `watch` redraws a full screen every half second; $((6*7)) only becomes 42 when evaluated.
  await typeInTerminal(page, "watch -t -n 0.5 'echo full-$((6*7)); date +%s%N'");
  await expect.poll(async () => (await screen(page)).top[0], { timeout: 15_000 }).toBe('full-42');
  const before = await screen(page);

  await page.reload();
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect.poll(async () => (await screen(page)).top[0], { timeout: 15_000 }).toBe('full-42');
  const after = await screen(page);
  expect(after.type).toBe(before.type);
  // Still live: the nanosecond clock on line 2 keeps changing after the reload.
  const first = after.top[1];
  await expect.poll(async () => (await screen(page)).top[1], { timeout: 10_000 }).not.toBe(first);

  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.press('Control+C');
  await typeInTerminal(page, 'echo af$((2+3))ter');
  await expectInTerminal(page, /^af5ter$/m);
});

test('the tools check shows kubectl with its version and kind as missing, with why and how to install', async ({ page }) => {
  await openLab(page);
  const toggle = page.getByTestId('preflight-toggle');
  await expect(toggle).toHaveText(/missing|✓/, { timeout: 30_000 });
  await toggle.click();
  const panel = page.getByTestId('preflight-panel');
  await expect(panel.locator('li[data-tool="kubectl"][data-found="true"]')).toContainText('Client Version');
  const kind = panel.locator('li[data-tool="kind"]');
  await expect(kind).toHaveAttribute('data-found', 'false');
  await expect(kind).toContainText('missing');
  await expect(kind).toContainText('install:');
  await expect(panel.locator('li[data-tool="container-engine"]')).toBeVisible();
});

test('a block whose tool is missing says so before Run; one whose tool is there does not', async ({ page, request }) => {
  const lab = await fetchLab(request);
  const find = (cmd: string) => {
    for (const [i, s] of lab.steps.entries()) {
      const b = codeBlocks(s.blocks).find((x) => x.run.startsWith(cmd));
      if (b) return { step: i + 1, id: b.id };
    }
    throw new Error(`no block runs ${cmd}`);
  };
  const kind = find('kind create cluster');
  await openLab(page, kind.step);
  const warning = page.getByTestId(`missing-${kind.id}`);
  await expect(warning).toContainText('kind is not installed in your sandbox', { timeout: 30_000 });
  await expect(warning).toContainText('To install:');
  const podman = find('podman ps');
  expect(podman.step).toBe(kind.step);
  await expect(page.getByTestId(`block-${podman.id}`)).toBeVisible();
  await expect(page.getByTestId(`missing-${podman.id}`)).toHaveCount(0);
});
