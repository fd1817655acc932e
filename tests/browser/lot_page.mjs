// A lot's page on the manager dashboard in real headless Chromium: sign in, open the demo's kiwi
// lot from the lots list, see the custody chain with the signed handover pair, the abnormal report
// with its photo actually loaded, the temperature chart with its excursion mark, the PHI flag;
// switch to English, download the timeline and custody CSVs; screenshots at desktop and phone size.
// Usage: node lot_page.mjs LOT_PAGE_URL USER PASSWORD ARTIFACT_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [lotUrl, user, password, artifacts] = process.argv.slice(2);
if (!lotUrl || !user || !password || !artifacts) {
  console.error('usage: node lot_page.mjs LOT_PAGE_URL USER PASSWORD ARTIFACT_DIR');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
const lot = decodeURIComponent(new URL(lotUrl).pathname.split('/').pop());

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

/** Every photo on the page was fetched and decoded (naturalWidth > 0), none broken. */
async function photosLoaded(page) {
  const photos = page.locator('img.photo');
  const count = await photos.count();
  for (let i = 0; i < count; i++) {
    await photos.nth(i).scrollIntoViewIfNeeded();
    await page.waitForFunction((img) => img.complete, await photos.nth(i).elementHandle());
  }
  return photos.evaluateAll((imgs) => imgs.map((img) => img.naturalWidth));
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();

  // The lot page needs a signed-in manager.
  await page.goto(lotUrl);
  assert.match(page.url(), /\/ui\/login$/);
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/ui$/);
  // The lots list links each lot to its page.
  await page.locator('#lots').getByRole('link', { name: lot, exact: true }).click();
  await page.waitForURL((url) => url.pathname.endsWith(`/ui/lots/${encodeURIComponent(lot)}`));
  assert.match(await page.locator('h1').innerText(), new RegExp(lot));

  // Custody chain: loading, departure with the missing box, delivery, and the handover pair.
  const custody = page.locator('#custody');
  const custodyText = await custody.innerText();
  for (const expected of ['采摘', '装车', '发车', '送达', '孙建国', '缺少']) {
    assert.ok(custodyText.includes(expected), `custody chain shows ${expected}:\n${custodyText}`);
  }
  const handover = custody.locator('li.handover');
  assert.equal(await handover.count(), 1, 'one signed handover');
  const handoverText = await handover.innerText();
  assert.match(handoverText, /赵师傅冷链[\s\S]*→[\s\S]*西安朱雀冷库/, handoverText);
  assert.match(handoverText, /3 → 3/);
  assert.match(handoverText, /双方已存凭证/, 'offer and acceptance are paired, the receipt filed');
  assert.match(handoverText, /包装压坏/, 'the abnormal box is named');

  // The abnormal report with its photo, really loaded.
  const report = page.locator('#abnormal article.report', { hasText: '果面压伤' });
  assert.equal(await report.count(), 1);
  assert.equal(await report.locator('img.photo').count(), 1);
  const widths = await photosLoaded(page);
  assert.ok(widths.length >= 2, 'the bruise photo and the delivery note photo');
  assert.ok(widths.every((w) => w > 0), `every photo decoded: ${widths}`);

  // The temperature chart: server-rendered SVG with the limits band and an excursion mark.
  const chart = page.locator('#temperature svg');
  assert.equal(await chart.getAttribute('role'), 'img');
  assert.match(await chart.locator('title').first().textContent(), new RegExp(lot));
  // The field-flow logger's 45-minute spell on box 1, and the alerts demo's crate logger.
  assert.ok((await chart.locator('g.excursion').count()) >= 1, 'an excursion is marked');
  assert.equal(await chart.locator('rect.band').count(), 1);
  assert.match(await chart.locator('g.excursion title').first().textContent(), /超限/);
  assert.match(await page.locator('#farming').innerText(), /安全间隔期未满/);
  assert.ok((await page.locator('#timeline tbody tr').count()) > 20, 'the timeline lists every event');
  assert.equal(await page.locator('script').count(), 0, 'the page needs no JavaScript');
  await page.screenshot({ path: join(artifacts, 'lot-page-desktop-zh.png'), fullPage: true });

  // A phone: nothing wider than the screen except the scrollable tables inside their cards.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 390, `the page fits a 390-px phone (scrollWidth ${overflow})`);
  const chartBox = await chart.boundingBox();
  assert.ok(chartBox.width <= 390 && chartBox.width > 300, `the chart fills the phone width: ${chartBox.width}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifacts, 'lot-page-phone-zh.png'), fullPage: false });
  await page.screenshot({ path: join(artifacts, 'lot-page-phone-zh-full.png'), fullPage: true });
  await page.locator('#temperature').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'lot-page-phone-chart-zh.png'), fullPage: false });

  // English, then the CSV exports.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/lang=en/);
  assert.match(await page.locator('main').innerText(), /Custody chain[\s\S]*Abnormal reports[\s\S]*Temperature/);
  assert.match(await page.locator('#custody li.handover').innerText(), /both hold proof/);
  await page.screenshot({ path: join(artifacts, 'lot-page-desktop-en.png'), fullPage: true });
  const [timelineDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export all events (CSV)' }).click(),
  ]);
  const timelinePath = join(artifacts, 'lot-timeline.csv');
  await timelineDownload.saveAs(timelinePath);
  const timeline = readFileSync(timelinePath, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.equal(timeline[0], 'time,event,who,recorder,device,codes,units,condition,note');
  assert.equal(timeline.length - 1, await page.locator('#timeline tbody tr').count(), 'one line per event shown');
  const [custodyDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export custody chain (CSV)' }).click(),
  ]);
  const custodyPath = join(artifacts, 'lot-custody.csv');
  await custodyDownload.saveAs(custodyPath);
  const custodyCsv = readFileSync(custodyPath, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.equal(custodyCsv[0], 'step,from,to,first,last,units,boxes,abnormal,flag,trip');
  assert.ok(custodyCsv.some((line) => line.startsWith('Handover,')), custodyCsv.join('\n'));
  console.log(`lot page checks passed; screenshots in ${artifacts}`);
} finally {
  await browser.close();
}
