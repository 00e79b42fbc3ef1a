import { expect, test } from '@playwright/test';
import { expectInTerminal, openLab, typeInTerminal } from './helpers';

test('keys typed while the connection is down reach the same shell once it is back', async ({ page }) => {
  // Keep a handle on the page's sockets so the test can drop the connection like bad Wi-Fi would.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    const sockets: WebSocket[] = [];
    (window as unknown as { __sockets: WebSocket[] }).__sockets = sockets;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    };
  });
  await openLab(page);
  await typeInTerminal(page, 'export HELD=ke$((2+3))ys');
  await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)!.close());
  await expect(page.getByTestId('conn-status')).not.toHaveAttribute('data-state', 'connected');
  // Typed while reconnecting: held by the page, sent when the same shell is back.
  await typeInTerminal(page, 'echo held=$HELD');
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expectInTerminal(page, /^held=ke5ys$/m);
});
