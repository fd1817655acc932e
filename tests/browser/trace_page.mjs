// The consumer trace page in real headless Chromium at a phone's viewport (390×844, iPhone 12-14):
// what a buyer sees after scanning a label. Usage: node trace_page.mjs BASE_URL CODE ARTIFACT_DIR
// Exits non-zero with a message on the first failed check; screenshots go to ARTIFACT_DIR.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, code, artifacts] = process.argv.slice(2);
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
  await page.screenshot({ path: join(artifacts, 'trace-page-zh-390x844.png'), fullPage: true });

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
