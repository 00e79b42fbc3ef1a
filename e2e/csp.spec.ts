import { expect, test } from '@playwright/test';
import { expectInTerminal, openLab, typeInTerminal } from './helpers';

/** Chromium reports every blocked load or inline script on the console; the pages must cause none. */
test('the pages work under their Content-Security-Policy: nothing blocked, the terminal connects', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  for (const path of ['/', '/instructor']) {
    const res = await page.goto(path);
    expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await expect(page.locator('main, body').first()).toBeVisible();
  }
  await openLab(page);
  await typeInTerminal(page, 'echo c$((5*5))sp');
  await expectInTerminal(page, 'c25sp');
  expect(violations).toEqual([]);
});
