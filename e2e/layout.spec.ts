/**
 * The attendee's view on a laptop and on a projector (issue 10): at each window size, nothing in the
 * step pane runs out of it or is clipped, `column_layout` follows the PANE's width (the splitter), and
 * the terminal stays usable. Geometry is read from the real layout in Chromium; screenshots of each
 * size go to test-results for a human to look at.
 *
 * 200% zoom is emulated as the browser does it: the same window shows half as many CSS pixels, so
 * 1400×860 at 200% is a 700×430 CSS viewport (at deviceScaleFactor 2, which alone would only sharpen
 * the pixels and change no layout).
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { codeBlocks } from '../common/lab-model';
import { attendeeId, expectInTerminal, fetchLab, INSTRUCTOR_TOKEN, LAB_ID } from './helpers';

interface Size {
  name: string;
  width: number;
  height: number;
  scale: number;
}

const SIZES: Size[] = [
  { name: '1400x860', width: 1400, height: 860, scale: 1 },
  { name: '1280x720', width: 1280, height: 720, scale: 1 },
  { name: '1400x860-zoom200', width: 700, height: 430, scale: 2 },
  { name: '1280x720-zoom200', width: 640, height: 360, scale: 2 },
];

/** The seed's two-column slide: bullets on the left, four runnable blocks with prose on the right. */
const TWO_COLUMN_STEP = 'k8s quick start';

/** Every block of the lab marked as run, so each code header carries "✓ ran" and "Run again", its widest form. */
async function attendeeContext(browser: Browser, size: Size, blockIds: string[]) {
  const ctx = await browser.newContext({ viewport: { width: size.width, height: size.height }, deviceScaleFactor: size.scale });
  await ctx.addInitScript(
    ([key, ids]) => window.localStorage.setItem(key, JSON.stringify(ids)),
    [`labdeck:ran:${LAB_ID}`, blockIds] as const,
  );
  return ctx;
}

interface Escape {
  what: string;
  box: [number, number];
  limit: [number, number];
}

/**
 * What in the step pane escapes it. Checked: every button, every inline `code`, every code block and
 * the code of a command block (a command is wrapped, never cut); each must lie inside the pane and be
 * clipped by none of its ancestors. The lines of a non-command block (a YAML file, a diagram) may
 * scroll sideways inside their own box, which must itself lie inside the pane. Also the pane and the
 * page themselves: no horizontal overflow.
 */
function escapes(page: Page): Promise<{ escapes: Escape[]; paneOverflow: number; pageOverflow: number; checked: number }> {
  return page.evaluate(() => {
    const pane = document.querySelector<HTMLElement>('.step-pane')!;
    const scroller = pane.querySelector<HTMLElement>('.step-scroll')!;
    const paneBox = pane.getBoundingClientRect();
    const out: Escape[] = [];
    const selector = 'button, :not(pre) > code, .code-block, .code-scroll, .is-command pre.code';
    const els = [...pane.querySelectorAll<HTMLElement>(selector)].filter((el) => el.getClientRects().length > 0);
    const label = (el: HTMLElement) => `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').trim().slice(0, 50)}"`;
    const outside = (b: DOMRect, l: DOMRect) => b.left < l.left - 0.5 || b.right > l.right + 0.5;
    for (const el of els) {
      const box = el.getBoundingClientRect();
      if (outside(box, paneBox)) out.push({ what: label(el), box: [box.left, box.right], limit: [paneBox.left, paneBox.right] });
      for (let a = el.parentElement; a && a !== scroller; a = a.parentElement) {
        if (getComputedStyle(a).overflowX === 'visible') continue;
        const clip = a.getBoundingClientRect();
        if (outside(box, clip)) out.push({ what: `${label(el)} clipped by ${a.tagName.toLowerCase()}.${a.className}`, box: [box.left, box.right], limit: [clip.left, clip.right] });
      }
    }
    const doc = document.scrollingElement!;
    return {
      escapes: out,
      paneOverflow: scroller.scrollWidth - scroller.clientWidth,
      pageOverflow: doc.scrollWidth - doc.clientWidth,
      checked: els.length,
    };
  });
}

/** How many side-by-side columns the first `column_layout` of the step shows, from where they are drawn. */
function columnsShown(page: Page): Promise<number> {
  return page.evaluate(() => {
    const cols = [...document.querySelectorAll<HTMLElement>('.step-body .columns')[0]!.children].map((c) => c.getBoundingClientRect());
    return new Set(cols.map((c) => Math.round(c.top))).size === 1 ? cols.length : 1;
  });
}

async function expectNothingEscapes(page: Page, where: string): Promise<void> {
  const r = await escapes(page);
  expect(r.checked, `${where}: something to check`).toBeGreaterThan(0);
  expect(r.escapes, `${where}: elements outside the step pane or clipped`).toEqual([]);
  expect(r.paneOverflow, `${where}: the step pane scrolls sideways`).toBeLessThanOrEqual(0);
  expect(r.pageOverflow, `${where}: the page scrolls sideways`).toBeLessThanOrEqual(0);
}

/** The tools check adds a note under blocks whose tool is missing: wait for it so the layout is final. */
async function openStep(page: Page, step: number): Promise<void> {
  await page.goto(`/labs/${LAB_ID}?step=${step}`);
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(page.getByTestId('preflight-toggle')).toHaveText(/Tools ✓|Tools: \d+ missing/, { timeout: 30_000 });
}

for (const size of SIZES) {
  test(`at ${size.name} every step fits its pane, and the terminal is usable`, async ({ browser, request }, testInfo) => {
    const lab = await fetchLab(request);
    const blockIds = lab.steps.flatMap((s) => codeBlocks(s.blocks).map((b) => b.id));
    const twoColumn = lab.steps.findIndex((s) => s.title === TWO_COLUMN_STEP) + 1;
    expect(twoColumn, `the seed lab has the "${TWO_COLUMN_STEP}" slide`).toBeGreaterThan(0);
    const ctx = await attendeeContext(browser, size, blockIds);
    try {
      const page = await ctx.newPage();
      await openStep(page, twoColumn);
      await expect(page.locator('.step-body .columns')).toHaveCount(1);
      await expect(page.getByRole('button', { name: 'Run again' }).first()).toBeVisible();
      await page.screenshot({ path: testInfo.outputPath(`${size.name}-two-column-step.png`) });
      await expectNothingEscapes(page, `${size.name}, step ${twoColumn}`);
      // The default split leaves the steps at most ~620 px here: too narrow for two readable columns.
      expect(await columnsShown(page)).toBe(1);

      await openStep(page, 1);
      for (let step = 1; step <= lab.steps.length; step++) {
        if (step !== 1) await page.getByTestId('next').click();
        await expect(page.getByTestId('step-count')).toHaveText(`Step ${step} of ${lab.steps.length}`);
        await expectNothingEscapes(page, `${size.name}, step ${step}`);
      }

      // Run, from wherever the block is: the terminal comes into view, big enough to work in.
      await page.goto(`/labs/${LAB_ID}?step=3`);
      await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
      await page.getByTestId('run-kubectl-client').click();
      await expectInTerminal(page, 'kind: Deployment');
      const term = page.locator('.terminal-pane');
      // All of it, but for sub-pixel rounding at a fractional scroll position.
      await expect(term).toBeInViewport({ ratio: 0.99 });
      const dims = await page.evaluate(() => ({ cols: window.__labdeck!.term.cols, rows: window.__labdeck!.term.rows }));
      expect(dims.cols, 'terminal columns').toBeGreaterThanOrEqual(40);
      expect(dims.rows, 'terminal rows').toBeGreaterThanOrEqual(10);
      await page.screenshot({ path: testInfo.outputPath(`${size.name}-after-run.png`) });

      // The join page on the same screen: nothing scrolls sideways, the form lies within the window's width.
      await page.goto('/join');
      await expect(page.getByTestId('join-submit')).toBeVisible();
      const join = await page.evaluate(() => {
        const doc = document.scrollingElement!;
        const form = document.querySelector('form')!.getBoundingClientRect();
        return { overflow: doc.scrollWidth - doc.clientWidth, left: form.left, right: form.right, width: doc.clientWidth };
      });
      expect(join.overflow, 'the join page scrolls sideways').toBeLessThanOrEqual(0);
      expect(join.left).toBeGreaterThanOrEqual(0);
      expect(join.right).toBeLessThanOrEqual(join.width);
      await page.screenshot({ path: testInfo.outputPath(`${size.name}-join.png`) });
    } finally {
      await ctx.close();
    }
  });
}

test('column_layout follows the pane, not the window: one column when the splitter narrows it, two when it widens it', async ({ browser, request }, testInfo) => {
  const lab = await fetchLab(request);
  const blockIds = lab.steps.flatMap((s) => codeBlocks(s.blocks).map((b) => b.id));
  const twoColumn = lab.steps.findIndex((s) => s.title === TWO_COLUMN_STEP) + 1;
  const ctx = await attendeeContext(browser, SIZES[0]!, blockIds);
  try {
    const page = await ctx.newPage();
    await openStep(page, twoColumn);
    const handle = page.getByRole('separator', { name: 'Resize the slides and terminal' });

    // Drag the splitter to the right with the mouse: a wide pane shows the slide's two columns.
    const box = (await handle.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(1400 * 0.8, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await expect(handle).toHaveAttribute('aria-valuenow', '80');
    await expect.poll(() => columnsShown(page)).toBe(2);
    await expectNothingEscapes(page, 'wide pane');
    await page.screenshot({ path: testInfo.outputPath('wide-pane.png') });

    // The keyboard takes it to its narrowest: one column, and still nothing clipped.
    await handle.focus();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowLeft');
    await expect(handle).toHaveAttribute('aria-valuenow', '20');
    await expect.poll(() => columnsShown(page)).toBe(1);
    await expectNothingEscapes(page, 'narrowest pane');
    await page.screenshot({ path: testInfo.outputPath('narrowest-pane.png') });
  } finally {
    await ctx.close();
  }
});

test('A+ at its largest on a 1280x720 projector: every step still fits its pane', async ({ browser, request }, testInfo) => {
  const lab = await fetchLab(request);
  const blockIds = lab.steps.flatMap((s) => codeBlocks(s.blocks).map((b) => b.id));
  const ctx = await attendeeContext(browser, SIZES[1]!, blockIds);
  try {
    const page = await ctx.newPage();
    await openStep(page, 1);
    const bigger = page.getByRole('button', { name: 'Larger text' });
    while (await bigger.isEnabled()) await bigger.click();
    await expect(page.locator('.font-scale')).toHaveText('200%');
    for (let step = 1; step <= lab.steps.length; step++) {
      if (step !== 1) await page.getByTestId('next').click();
      await expect(page.getByTestId('step-count')).toHaveText(`Step ${step} of ${lab.steps.length}`);
      await expectNothingEscapes(page, `A+ 200%, step ${step}`);
      if (lab.steps[step - 1]!.title === TWO_COLUMN_STEP) await page.screenshot({ path: testInfo.outputPath('1280x720-a-plus-200.png') });
    }
  } finally {
    await ctx.close();
  }
});

/** WCAG contrast of an element's text (or outline, or border) against the colour behind it, with its type size. */
function contrastOf(page: Page, selector: string, fg: 'color' | 'outline-color' | 'border-top-color' = 'color'): Promise<{ ratio: number; fontPx: number; weight: number; opaque: boolean }> {
  return page.evaluate(
    ([sel, prop]) => {
      const el = document.querySelector<HTMLElement>(sel)!;
      const rgba = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = (c: number[]) => {
        const [r, g, b] = c.slice(0, 3).map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      // The colour behind the element: its own, or the nearest ancestor's that is not transparent.
      let bgEl: HTMLElement | null = el;
      let bg = rgba(getComputedStyle(el).backgroundColor);
      while (bgEl && (bg.length === 4 && bg[3] === 0)) {
        bgEl = bgEl.parentElement;
        bg = bgEl ? rgba(getComputedStyle(bgEl).backgroundColor) : [255, 255, 255];
      }
      const style = getComputedStyle(el);
      const [l1, l2] = [lum(rgba(style.getPropertyValue(prop))), lum(bg)].sort((a, b) => b - a);
      return {
        ratio: (l1! + 0.05) / (l2! + 0.05),
        fontPx: parseFloat(style.fontSize),
        weight: Number(style.fontWeight),
        opaque: bg.length === 3 || bg[3] === 1,
      };
    },
    [selector, fg] as const,
  );
}

test('on a projector (1280x720): the join page, a message and a reset notice are large, high-contrast and keyboard-driven', async ({ browser, request }, testInfo) => {
  const auth = { Authorization: `Bearer ${INSTRUCTOR_TOKEN}` };
  const res = await request.post('/api/workshops', { headers: auth, data: { lab: LAB_ID, title: `Projector ${testInfo.workerIndex}-${Date.now()}` } });
  expect(res.status()).toBe(201);
  const workshop = (await res.json()) as { id: string; code: string };
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const page = await ctx.newPage();
    await page.goto(`/join/${workshop.code}`);
    // Join waits for the page to be hydrated (JoinForm.tsx); measure it as the attendee uses it.
    await expect(page.getByTestId('join-submit')).toBeEnabled();

    // Join page: large type, text at 7:1 or more, field edges at 3:1 or more, a focus ring that shows.
    for (const sel of ['label', '[data-testid="join-name"]', '[data-testid="join-submit"]']) {
      const c = await contrastOf(page, sel);
      expect(c.fontPx, `${sel} font size`).toBeGreaterThanOrEqual(22);
      expect(c.ratio, `${sel} contrast`).toBeGreaterThanOrEqual(7);
    }
    const name = page.getByTestId('join-name');
    await expect(name).toBeFocused();
    expect((await contrastOf(page, '[data-testid="join-name"]', 'border-top-color')).ratio, 'the name field edge').toBeGreaterThanOrEqual(3);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Shift+Tab');
    expect((await contrastOf(page, '[data-testid="join-name"]', 'outline-color')).ratio, 'focus ring').toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: testInfo.outputPath('projector-join.png') });

    // Joined with the keyboard alone: the name, then Enter.
    await page.keyboard.type('Projector Pat');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    const me = await attendeeId(page);

    const sent = await request.post(`/api/workshops/${workshop.id}/messages`, { headers: auth, data: { text: 'Look at the pods in kube-system', attendee: me } });
    expect(sent.status()).toBe(202);
    await expect(page.getByTestId('instructor-message')).toBeVisible();
    const msg = await contrastOf(page, '.instructor-message-text');
    expect(msg.fontPx, 'message size').toBeGreaterThanOrEqual(20);
    expect(msg.ratio, 'message contrast').toBeGreaterThanOrEqual(7);

    const reset = await request.post(`/api/sandboxes/${encodeURIComponent(me)}/reset`, { headers: auth, data: {} });
    expect(reset.ok()).toBeTruthy();
    const notice = page.getByTestId('notice').filter({ hasText: 'Your sandbox was reset by the instructor' });
    await expect(notice).toBeVisible();
    const n = await contrastOf(page, '[data-testid="notice"]');
    expect(n.opaque, 'the notice has its own opaque background').toBe(true);
    expect(n.fontPx, 'notice size').toBeGreaterThanOrEqual(18.5);
    expect(n.weight, 'notice weight').toBeGreaterThanOrEqual(700);
    expect(n.ratio, 'notice contrast').toBeGreaterThanOrEqual(7);
    await page.screenshot({ path: testInfo.outputPath('projector-message-and-notice.png') });

    // Keyboard: from the control before it, Tab reaches Dismiss, with a visible ring, and Enter dismisses.
    await page.getByTestId('preflight-toggle').focus();
    await page.keyboard.press('Tab');
    const dismiss = notice.getByRole('button', { name: 'Dismiss' });
    await expect(dismiss).toBeFocused();
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    expect(ring.style).not.toBe('none');
    expect(ring.width).toBeGreaterThanOrEqual(3);
    await page.keyboard.press('Enter');
    await expect(notice).toHaveCount(0);
  } finally {
    await ctx.close();
  }
});
