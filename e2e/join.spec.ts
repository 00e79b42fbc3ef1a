import { expect, test } from '@playwright/test';
import { expectInTerminal, LAB_ID, openWorkshop, typeInTerminal, unlockDashboard } from './helpers';

test('the instructor opens a workshop (code, URL, QR); an attendee joins by the URL with a name and gets a shell', async ({ browser }, testInfo) => {
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const attendee = await browser.newContext();
  try {
    const dash = await instructor.newPage();
    await unlockDashboard(dash);
    await openWorkshop(dash, `E2E ${testInfo.workerIndex}-${Date.now()}`);

    const code = dash.getByTestId('join-code-shown');
    await expect(code).toHaveText(/^[A-HJKMNP-Z]{8}$/);
    const joinCode = (await code.textContent())!;
    const joinUrl = (await dash.getByTestId('join-url-shown').textContent())!;
    expect(joinUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/join/${joinCode}$`));
    const qr = dash.getByTestId('join-qr');
    await expect(qr).toBeVisible();
    expect((await qr.getAttribute('aria-label')) ?? '').toContain(joinUrl);
    expect(((await qr.locator('path').getAttribute('d')) ?? '').length).toBeGreaterThan(1000);

    // The attendee, in their own browser, opens the link the QR code carries.
    const page = await attendee.newPage();
    await page.goto(joinUrl);
    await expect(page.getByTestId('join-code')).toHaveValue(joinCode);
    await page.getByTestId('join-name').fill('   ');
    await page.getByTestId('join-submit').click();
    await expect(page.getByTestId('join-error')).toHaveText('Type a display name.');
    const name = '<b>Ana</b> & co';
    await page.getByTestId('join-name').fill(name);
    await page.getByTestId('join-submit').click();
    await expect(page).toHaveURL(new RegExp(`/labs/${LAB_ID}`));
    await expect(page.getByTestId('conn-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    await typeInTerminal(page, 'echo jo$((4+4))ined');
    await expectInTerminal(page, /^jo8ined$/m);

    // The dashboard lists the name as text: the markup shows, nothing is bold.
    const names = dash.getByTestId('joined-names');
    await expect(names).toContainText(name, { timeout: 15_000 });
    await expect(names.locator('b')).toHaveCount(0);
    await expect(dash.getByTestId('join-card')).toContainText('1 of 100 joined');
    await dash.screenshot({ path: testInfo.outputPath('dashboard-join-qr.png'), fullPage: true });

    // A second browser cannot take the same name.
    const other = await (await browser.newContext()).newPage();
    await other.goto(`/join/${joinCode}`);
    await other.getByTestId('join-name').fill('<B>ANA</B> & CO');
    await other.getByTestId('join-submit').click();
    await expect(other.getByTestId('join-error')).toContainText('already called');
    await other.context().close();
  } finally {
    await instructor.close();
    await attendee.close();
  }
});

test('/join without a code asks for it', async ({ page }) => {
  await page.goto('/join');
  await page.getByTestId('join-name').fill('Bo');
  await page.getByTestId('join-submit').click();
  await expect(page.getByTestId('join-error')).toHaveText('Type the workshop code shown on the projector.');
  await page.getByTestId('join-code').fill('zzzzzz');
  await page.getByTestId('join-submit').click();
  await expect(page.getByTestId('join-error')).toContainText('No workshop has the code ZZZZZZ');
});

test('the instructor closes joining: a newcomer is told so on the join page, a member still gets back in; reopened, the newcomer joins', async ({ browser }, testInfo) => {
  const instructor = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const member = await browser.newContext();
  const newcomer = await browser.newContext();
  try {
    const dash = await instructor.newPage();
    await unlockDashboard(dash);
    await openWorkshop(dash, `Joins ${testInfo.workerIndex}-${Date.now()}`);
    const joinCode = (await dash.getByTestId('join-code-shown').textContent())!;

    const ana = await member.newPage();
    await ana.goto(`/join/${joinCode}`);
    await ana.getByTestId('join-name').fill('Ana');
    await ana.getByTestId('join-submit').click();
    await expect(ana).toHaveURL(new RegExp(`/labs/${LAB_ID}`));

    await dash.getByTestId('joins-toggle').click();
    await expect(dash.getByTestId('joins-closed')).toBeVisible();
    await expect(dash.getByTestId('joins-toggle')).toHaveText('Open joining again');

    const bo = await newcomer.newPage();
    await bo.goto(`/join/${joinCode}`);
    await bo.getByTestId('join-name').fill('Bo');
    await bo.getByTestId('join-submit').click();
    await expect(bo.getByTestId('join-error')).toContainText('The instructor has closed joining');

    // Ana, from the browser she joined with, keeps her seat.
    await ana.goto(`/join/${joinCode}`);
    await ana.getByTestId('join-name').fill('Ana');
    await ana.getByTestId('join-submit').click();
    await expect(ana).toHaveURL(new RegExp(`/labs/${LAB_ID}`));

    await dash.getByTestId('joins-toggle').click();
    await expect(dash.getByTestId('joins-closed')).toHaveCount(0);
    await bo.getByTestId('join-submit').click();
    await expect(bo).toHaveURL(new RegExp(`/labs/${LAB_ID}`));
  } finally {
    await instructor.close();
    await member.close();
    await newcomer.close();
  }
});
