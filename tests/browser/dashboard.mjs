// The manager dashboard in real headless Chromium: sign in, the lots list, the language switch,
// CSV export, sign out. Usage: node dashboard.mjs BASE_URL USER PASSWORD ARTIFACT_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, user, password, artifacts] = process.argv.slice(2);
if (!base || !user || !password || !artifacts) {
  console.error('usage: node dashboard.mjs BASE_URL USER PASSWORD ARTIFACT_DIR');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();

  // Not signed in: the dashboard sends the browser to the sign-in page.
  await page.goto(`${base}/ui`);
  assert.match(page.url(), /\/ui\/login$/);
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill('wrong-password-123');
  await page.getByRole('button', { name: '登录' }).click();
  assert.match(await page.getByRole('alert').innerText(), /不正确/);
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(password);
  await page.screenshot({ path: join(artifacts, 'dashboard-sign-in.png') });
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/ui$/);

  const rows = page.locator('#lots tbody tr');
  assert.ok((await rows.count()) >= 3, 'the demo co-op has at least three lots');
  assert.match(await page.locator('#lots').innerText(), /猕猴桃/);
  await page.screenshot({ path: join(artifacts, 'dashboard-lots-zh.png'), fullPage: true });

  // Filter by product, then switch to English (remembered for the next pages).
  await page.locator('select[name=product]').selectOption('猕猴桃');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/product=/);
  const kiwiLots = await rows.count();
  assert.ok(kiwiLots >= 1);
  for (const text of await rows.allInnerTexts()) assert.match(text, /猕猴桃/);
  await page.getByRole('link', { name: 'English' }).click();
  assert.match(await page.locator('h1').innerText(), /Lots/);
  await page.screenshot({ path: join(artifacts, 'dashboard-lots-en.png'), fullPage: true });

  // CSV export downloads the list shown.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const csvPath = join(artifacts, 'lots.csv');
  await download.saveAs(csvPath);
  const csv = readFileSync(csvPath, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.equal(csv[0], 'lot,product,farm,harvest_date,stage,units,abnormal_units');
  assert.equal(csv.length, kiwiLots + 1, 'the export holds the filtered rows');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/ui\/login$/);
  await page.goto(`${base}/ui`);
  assert.match(page.url(), /\/ui\/login$/, 'signed out means signed out');
  console.log(`dashboard checks passed; screenshots in ${artifacts}`);
} finally {
  await browser.close();
}
