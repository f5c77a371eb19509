// Renders the extension's marketplace icon, media/icon.png (128×128 PNG, the size VS Code and
// the marketplace show), from media/activity-icon.svg: the same sun-and-cloud glyph as the
// activity bar, drawn in white on a rounded sky-blue square. The PNG is committed; run this
// again only when the glyph or the colours change:
//
//   node scripts/render-icon.mjs [OUT.png]
//
// Renders in headless Chromium (playwright-core, /usr/bin/chromium or WEATHER_CHROMIUM).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(repo, 'media', 'icon.png'));
const SIZE = 128;
// The galleryBanner colour in package.json is the darker end of this gradient.
const TOP = '#3b9ae1';
const BOTTOM = '#1d5f99';

const glyph = readFileSync(join(repo, 'media', 'activity-icon.svg'), 'utf8')
  .replace(/\swidth="[^"]*"/, ' width="100%"')
  .replace(/\sheight="[^"]*"/, ' height="100%"');

const html = `<!doctype html><html><head><style>
  html, body { margin: 0; background: transparent; }
  .tile { width: ${SIZE}px; height: ${SIZE}px; border-radius: 24px; box-sizing: border-box; padding: 14px;
          background: linear-gradient(160deg, ${TOP}, ${BOTTOM}); color: #ffffff; }
  .tile svg { display: block; width: 100%; height: 100%; }
</style></head><body><div class="tile">${glyph}</div></body></html>`;

const browser = await chromium.launch({
  executablePath: process.env.WEATHER_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await page.setContent(html);
  await page.locator('.tile').screenshot({ path: out, omitBackground: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
