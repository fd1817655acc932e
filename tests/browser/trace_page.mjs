// The consumer trace page in real headless Chromium at a phone's viewport (390×844, iPhone 12-14):
// what a buyer sees after scanning a label. Usage: node trace_page.mjs BASE_URL CODE ARTIFACT_DIR
// [RED_CODE]: CODE's lot has a lab report all within limits and a farm story with a photo; RED_CODE's
// lot has a report with a value over its limit. Exits non-zero with a message on the first failed check; screenshots go to ARTIFACT_DIR.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, code, artifacts, redCode] = process.argv.slice(2);
if (!base || !code || !artifacts) {
  console.error('usage: node trace_page.mjs BASE_URL CODE ARTIFACT_DIR');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  // Scripts are off: the page must be complete without JavaScript.
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled: false,
    locale: 'zh-CN',
  });
  const page = await context.newPage();

  const photoResponse = page.waitForResponse((r) => r.url().includes('/t/photos/'), { timeout: 15000 });
  const first = await page.goto(`${base}/t/${code}`);
  assert.equal(first.status(), 200, 'the trace page answers 200');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  const authenticity = page.locator('#authenticity');
  await authenticity.waitFor();
  assert.match(await authenticity.innerText(), /首次查询/, 'a first scan says so');
  const steps = page.locator('#journey li');
  assert.ok((await steps.count()) >= 2, 'the journey lists the steps from harvest on');
  assert.match(await steps.first().innerText(), /采摘/, 'the journey starts at the harvest');
  // Readable on a phone: nothing wider than the screen, text at a readable size.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 390, `page is ${overflow}px wide on a 390px screen`);
  const fontSize = await page.locator('body').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(fontSize >= 16, `body text is ${fontSize}px`);

  // The farm story with its photo, loaded from the public, cacheable photo route.
  const story = page.locator('#story');
  assert.match(await story.innerText(), /猕猴桃/, 'the farm story is shown');
  const photo = await photoResponse;
  assert.equal(photo.status(), 200, 'the published photo loads');
  assert.equal(photo.headers()['content-type'], 'image/jpeg');
  assert.match(photo.headers()['cache-control'] ?? '', /immutable/, 'the photo is cacheable');
  const img = story.locator('img').first();
  await img.scrollIntoViewIfNeeded();
  let natural = 0;
  for (let i = 0; i < 50 && natural === 0; i++) {
    natural = await img.evaluate((el) => (el.complete ? el.naturalWidth : 0));
    if (natural === 0) await page.waitForTimeout(100);
  }
  assert.ok(natural > 0, 'the story photo decoded in the browser');
  const imgBox = await img.boundingBox();
  assert.ok(imgBox && imgBox.width <= 390, `the photo fits the screen (${imgBox?.width}px)`);

  // Test reports: every value marked, green with ✓ when within its limit, with the limit shown.
  const reports = page.locator('#reports');
  const within = reports.locator('td.within');
  assert.ok((await within.count()) >= 3, 'the kiwi report lists its values');
  assert.match(await within.first().innerText(), /^✓ 0\.02 mg\/kg/, 'carbendazim 0.02 mg/kg is marked ✓');
  assert.match(await reports.innerText(), /≤ 0\.5 mg\/kg/, 'its limit is shown');
  assert.match(await reports.innerText(), /GB 2763/, 'and the standard');
  assert.equal(await reports.locator('td.outside').count(), 0, 'nothing of the kiwi report is over its limit');
  const green = await within.first().evaluate((el) => getComputedStyle(el).color);
  assert.equal(green, 'rgb(46, 125, 50)', 'within-limit values are green');
  await page.screenshot({ path: join(artifacts, 'trace-page-zh-390x844.png'), fullPage: true });
  await reports.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'trace-page-reports-green-390x844.png') });

  // A second look-up of the same label is flagged.
  await page.reload();
  assert.match(await page.locator('#authenticity').innerText(), /已被查询 2 次/);
  await page.screenshot({ path: join(artifacts, 'trace-page-repeat-scan-390x844.png'), fullPage: true });

  // The language switch is a plain link.
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/lang=en/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.match(await page.locator('#journey').innerText(), /Harvested/);
  await page.screenshot({ path: join(artifacts, 'trace-page-en-390x844.png'), fullPage: true });

  // A lot with a value over its limit: red, ✗, and readable without colour.
  if (redCode) {
    const red = await page.goto(`${base}/t/${redCode}?lang=zh`);
    assert.equal(red.status(), 200);
    const outside = page.locator('#reports td.outside');
    assert.equal(await outside.count(), 1, 'exactly one value is over its limit');
    assert.match(await outside.innerText(), /^✗ 0\.35 mg\/kg/, 'imidacloprid 0.35 mg/kg is marked ✗');
    assert.match(await outside.innerText(), /超标/, 'and says so in words');
    assert.equal(await outside.evaluate((el) => getComputedStyle(el).color), 'rgb(198, 40, 40)', 'in red');
    assert.match(await page.locator('#reports').innerText(), /≤ 0\.2 mg\/kg/);
    assert.ok((await page.locator('#reports td.within').count()) >= 1, 'the other values stay green');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the report table fits: page is ${width}px wide`);
    await page.locator('#reports').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'trace-page-reports-red-390x844.png') });
  }

  // A mistyped or unknown code gets a friendly page, not an error.
  const typo = code.slice(0, -1) + (code.endsWith('0') ? '1' : '0');
  const missing = await page.goto(`${base}/t/${typo}`);
  assert.equal(missing.status(), 404);
  assert.match(await page.locator('h1').innerText(), /溯源码无效|未找到此码/);
  await page.screenshot({ path: join(artifacts, 'trace-page-invalid-390x844.png'), fullPage: true });
  console.log(`trace page checks passed; screenshots in ${artifacts}`);
} finally {
  await browser.close();
}
