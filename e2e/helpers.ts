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
