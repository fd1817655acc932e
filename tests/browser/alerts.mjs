// The alerts page in real headless Chromium: sign in, open alerts from the navigation bar, see the
// demo's alerts (abnormal crates, an excursion, lots near expiry, a diversion) with their delivery
// status, acknowledge one, see it marked and counted, switch language, filter; screenshots on a
// desktop and a phone. Usage: node alerts.mjs BASE_URL USER PASSWORD ARTIFACT_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, user, password, artifacts] = process.argv.slice(2);
if (!base || !user || !password || !artifacts) {
  console.error('usage: node alerts.mjs BASE_URL USER PASSWORD ARTIFACT_DIR');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const openCount = async (page) => Number((await page.locator('#open-count').innerText()).match(/\d+/)[0]);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  const page = await context.newPage();

  await page.goto(`${base}/ui/alerts`);
  assert.match(page.url(), /\/ui\/login$/, 'alerts need a signed-in manager');
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/ui$/);

  // The navigation bar links to the alerts with a count badge.
  const badge = page.locator('a.nav-alerts img.badge');
  assert.ok(await badge.evaluate((img) => img.complete && img.naturalWidth > 0), 'the badge loads');
  await page.locator('a.nav-alerts').click();
  await page.waitForURL(/\/ui\/alerts$/);

  const table = page.locator('#alerts');
  const rows = page.locator('#alerts tbody tr');
  assert.ok((await rows.count()) >= 6, 'the demo has alerts of every kind');
  const text = await table.innerText();
  for (const kind of ['异常上报', '温度超限', '临期', '窜货']) assert.match(text, new RegExp(kind), `a ${kind} alert`);
  assert.match(text, /广东省广州市/, 'the diversion names where the crate was scanned');
  assert.match(text, /未配置/, 'without a webhook, notifications are listed as not configured');
  const before = await openCount(page);
  await page.screenshot({ path: join(artifacts, 'alerts-zh-desktop.png'), fullPage: true });

  // Acknowledge the diversion outside the sales regions.
  const diversion = page.locator('#alerts tbody tr.diversion', { hasText: '疑似窜货' });
  const id = await diversion.getAttribute('id');
  await diversion.getByRole('button', { name: '确认' }).click();
  await page.waitForURL(/\/ui\/alerts/);
  const acked = page.locator(`#${id}`);
  assert.match(await acked.getAttribute('class'), /acked/);
  assert.match(await acked.innerText(), /已确认/);
  assert.match(await acked.innerText(), /chen/, 'who acknowledged it is shown');
  assert.equal(await openCount(page), before - 1);

  // English, remembered; only open alerts.
  await page.getByRole('link', { name: 'English' }).click();
  assert.match(await page.locator('h1').innerText(), /Alerts/);
  assert.match(await page.locator(`#${id}`).innerText(), /Acknowledged/);
  assert.match(await table.innerText(), /Near expiry/);
  assert.match(await table.innerText(), /Possible diversion/, 'alert texts switch language too');
  await page.screenshot({ path: join(artifacts, 'alerts-en-desktop.png'), fullPage: true });
  await page.locator('select[name=status]').selectOption('open');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/status=open/);
  assert.equal(await page.locator(`#${id}`).count(), 0, 'the acknowledged alert left the open list');
  assert.equal(await rows.count(), before - 1);

  // On a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/ui/alerts?lang=zh`);
  assert.match(await page.locator('h1').innerText(), /告警/);
  await page.screenshot({ path: join(artifacts, 'alerts-zh-phone-390x844.png'), fullPage: true });
  console.log(`alerts checks passed; screenshots in ${artifacts}`);
} finally {
  await browser.close();
}
