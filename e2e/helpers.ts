/** Shared steps for the e2e specs: the terminal is read from xterm's buffer, never from pixels. */
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import type { Lab } from '../common/lab-model';

export const LAB_ID = 'kubernetes-meets-rust';

interface BufferLine {
  translateToString(trimRight?: boolean): string;
}
interface TermHandle {
  term: { buffer: { active: { length: number; getLine(i: number): BufferLine | undefined } } };
}

/** Every line of the terminal's active buffer (scrollback included), right-trimmed. */
export function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const handle = (window as unknown as { __labdeck?: TermHandle }).__labdeck;
    if (!handle) return '';
    const buf = handle.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  });
}

/** Wait until the terminal shows `text` (polling the buffer; no fixed sleeps). */
export async function expectInTerminal(page: Page, text: string | RegExp, timeout = 20_000): Promise<void> {
  await expect
    .poll(() => terminalText(page), { timeout, message: `terminal should show ${String(text)}` })
    .toMatch(typeof text === 'string' ? new RegExp(escapeRegExp(text)) : text);
}

export async function fetchLab(request: APIRequestContext): Promise<Lab> {
  const res = await request.get(`/api/labs/${LAB_ID}`);
  expect(res.ok()).toBeTruthy();
  return (await res.json()) as Lab;
}

/** Open the lab and wait for a live shell. */
export async function openLab(page: Page, step?: number): Promise<void> {
  await page.goto(`/labs/${LAB_ID}${step ? `?step=${step}` : ''}`);
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
}

/** Type a command into the shell the way an attendee does: focus the terminal, then keystrokes. */
export async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

export async function attendeeId(page: Page): Promise<string> {
  const me = await page.evaluate(() => fetch('/api/me').then((r) => r.json() as Promise<{ attendee: string }>));
  return me.attendee;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The instructor token the e2e server runs with (playwright.config.ts). */
export const INSTRUCTOR_TOKEN = 'e2e-instructor-token';

/** Open the instructor dashboard and unlock it with the token. */
export async function unlockDashboard(dash: Page): Promise<void> {
  await dash.goto('/instructor');
  await dash.getByTestId('token-input').fill(INSTRUCTOR_TOKEN);
  await dash.getByRole('button', { name: 'Unlock' }).click();
}

/**
 * From an unlocked dashboard, open a workshop for the seed lab under a title unique to this test, and
 * wait until the join card shows it: until then the card may still show another test's workshop (specs
 * run in parallel against one server), and its code or URL would send the attendee there.
 */
export async function openWorkshop(dash: Page, title: string): Promise<void> {
  await dash.getByTestId('workshop-lab').selectOption(LAB_ID);
  await dash.getByLabel('Title (optional)').fill(title);
  await dash.getByTestId('open-workshop').click();
  await expect(dash.getByTestId('join-card').locator('.join-title')).toContainText(title);
}

/** Join a workshop the way an attendee does: open the join link, type a name, and wait for a live shell. */
export async function joinWorkshop(page: Page, joinUrl: string, name: string): Promise<void> {
  await page.goto(joinUrl);
  await untilHydrated(page, '[data-testid="join-submit"]');
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await expect(page).toHaveURL(new RegExp(`/labs/${LAB_ID}`));
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
}

/** Walk with Previous/Next, as an attendee does, until the page shows step `step` (1-based). */
export async function stepTo(page: Page, step: number): Promise<void> {
  const count = page.getByTestId('step-count');
  for (;;) {
    const shown = Number(/Step (\d+) of/.exec((await count.textContent()) ?? '')?.[1]);
    if (shown === step) return;
    expect(shown, 'the page shows a step number').toBeGreaterThan(0);
    await page.getByTestId(shown < step ? 'next' : 'prev').click();
    await expect(count).toHaveText(new RegExp(`^Step ${shown < step ? shown + 1 : shown - 1} of \\d+$`));
  }
}

/**
 * Wait until React has hydrated the element: it attaches its props to the DOM node then. Before that
 * the server-rendered form is plain HTML, and a click on its submit button (a slow page on a loaded
 * host) submits it natively, reloading the join page with the name lost.
 */
export async function untilHydrated(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return el != null && Object.keys(el).some((k) => k.startsWith('__reactProps$'));
  }, selector);
}
