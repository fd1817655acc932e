// Loss analytics, piece counts, devices and the audit log in real headless Chromium: sign in, the
// loss tables and chart, a CSV download, piece counts, an enrollment QR made on the devices page,
// a device revoked through the confirm step, both actions in the audit log; desktop and phone
// (390×844) screenshots. Usage: node analytics.mjs BASE_URL USER PASSWORD ARTIFACT_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, user, password, artifacts] = process.argv.slice(2);
if (!base || !user || !password || !artifacts) {
  console.error('usage: node analytics.mjs BASE_URL USER PASSWORD ARTIFACT_DIR');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

async function signIn(context) {
  const page = await context.newPage();
  await page.goto(`${base}/ui/login`);
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/ui$/);
  return page;
}

try {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await signIn(desktop);

  // Loss analytics: reached from the navigation bar.
  await page.getByRole('link', { name: '损耗分析' }).click();
  await page.waitForURL(/\/ui\/loss$/);
  assert.equal(await page.locator('#loss-stages tbody tr').count(), 5, 'harvest, storage, loading, transport, delivery');
  const chart = page.locator('#loss-chart');
  assert.ok(await chart.isVisible(), 'the chart is drawn');
  assert.ok((await chart.locator('rect.bar').count()) >= 8, 'eight weeks of history and this one');
  assert.equal(await chart.locator('rect.seed-before').count(), 1, 'the 15–25 % band (before traceability)');
  assert.equal(await chart.locator('rect.seed-after').count(), 1, 'the 6–8 % band (after)');
  assert.ok((await page.locator('#loss-drivers tbody tr').count()) >= 2, 'two drivers held goods');
  const overall = await page.locator('#overall-loss').innerText();
  assert.match(overall, /^\d+\.\d%$/);
  await page.screenshot({ path: join(artifacts, 'analytics-loss-desktop.png'), fullPage: true });

  // Per day instead of per week, then the CSV of the periods table.
  await page.locator('select[name=period]').selectOption('day');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/period=day/);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('a.csv[href*="table=periods"]').click(),
  ]);
  const csvPath = join(artifacts, 'loss-periods.csv');
  await download.saveAs(csvPath);
  const csv = readFileSync(csvPath, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.equal(csv[0], 'period_start,units_handled,abnormal_units,loss_percent');
  assert.ok(csv.length > 40, 'one row per day over eight weeks');

  // Piece counts.
  await page.getByRole('link', { name: '计件' }).click();
  await page.waitForURL(/\/ui\/pieces$/);
  assert.ok((await page.locator('#pieces-months tbody tr').count()) >= 2, 'several months of pieces');
  assert.match(await page.locator('#pieces-days').innerText(), /王晓燕/);
  await page.screenshot({ path: join(artifacts, 'analytics-pieces-desktop.png'), fullPage: true });

  // Devices: a new enrollment QR code.
  await page.getByRole('link', { name: '设备' }).click();
  await page.waitForURL(/\/ui\/devices$/);
  const deviceRows = await page.locator('#devices tbody tr').count();
  assert.ok(deviceRows >= 12, 'the demo phones and the history phones');
  await page.getByLabel('使用人编号').fill('farmer-wu');
  await page.locator('select[name=role]').selectOption('farmer');
  await page.getByRole('button', { name: '生成二维码' }).click();
  await page.waitForURL(/\/ui\/devices\/enroll$/);
  assert.ok(await page.locator('#enroll-qr svg').isVisible(), 'the QR code is shown');
  assert.match(await page.locator('#enroll-text').innerText(), /^fieldtrace:\/\/enroll\?server=.*&token=/);
  await page.screenshot({ path: join(artifacts, 'analytics-enroll-qr-desktop.png'), fullPage: true });

  // Revoke driver 孙's phone, through the confirm step.
  await page.getByRole('link', { name: '返回设备列表' }).click();
  const sun = page.locator('#devices tbody tr', { hasText: 'driver-sun' }).first();
  const deviceId = await sun.getAttribute('data-device');
  await sun.getByRole('link', { name: '停用' }).click();
  await page.waitForURL(/\/revoke$/);
  assert.match(await page.locator('h1').innerText(), /确认停用/);
  await page.screenshot({ path: join(artifacts, 'analytics-revoke-confirm-desktop.png') });
  await page.locator('#confirm-revoke').click();
  await page.waitForURL(/\/ui\/devices$/);
  const revokedRow = page.locator(`#devices tr[data-device="${deviceId}"]`);
  assert.match(await revokedRow.innerText(), /已停用/);
  assert.equal(await revokedRow.getByRole('link', { name: '停用' }).count(), 0);
  await page.screenshot({ path: join(artifacts, 'analytics-devices-desktop.png'), fullPage: true });

  // Both actions are in the audit log.
  await page.getByRole('link', { name: '操作记录' }).click();
  await page.waitForURL(/\/ui\/audit$/);
  const audit = await page.locator('#audit').innerText();
  assert.match(audit, /revoke_device\s+\S*/);
  assert.ok(audit.includes(deviceId), 'the revoked device is named');
  assert.match(audit, /create_enrollment\s+party farmer-wu, role farmer, valid 72 h/);
  assert.doesNotMatch(audit, /token=/, 'no enrollment token in the log');
  await page.screenshot({ path: join(artifacts, 'analytics-audit-desktop.png'), fullPage: true });

  // The same pages on a phone.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  const small = await signIn(phone);
  await small.goto(`${base}/ui/loss`);
  assert.ok(await small.locator('#loss-chart').isVisible());
  const width = await small.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the loss page fits the phone's width (${width}px)`);
  await small.screenshot({ path: join(artifacts, 'analytics-loss-phone.png'), fullPage: true });
  await small.goto(`${base}/ui/devices`);
  await small.screenshot({ path: join(artifacts, 'analytics-devices-phone.png'), fullPage: true });
  console.log(`analytics checks passed; screenshots in ${artifacts}`);
} finally {
  await browser.close();
}
