// Renders media/icon.svg (the source) into media/icon.png, the 128x128 PNG that package.json's "icon"
// names (the Marketplace and the Extensions view take no SVG there), with headless Chromium through the
// test harness's playwright-core (`bash test/harness/setup.sh` installs both). `--preview FILE.png` also
// writes a sheet of both icons (and the activity-bar icon, media/wdlab.svg, in a dark and a light theme's
// colours) for a look.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(join(root, 'test', 'harness', 'package.json'))('playwright-core');
const svg = (file) => readFileSync(join(root, file), 'utf8');
const preview = process.argv.includes('--preview')
  ? process.argv[process.argv.indexOf('--preview') + 1]
  : null;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(
    `<html><body style="margin:0;background:transparent">${svg('media/icon.svg')}</body></html>`,
  );
  await page.locator('svg').screenshot({ path: join(root, 'media', 'icon.png'), omitBackground: true });
  console.log('wrote media/icon.png (128x128) from media/icon.svg');

  if (preview) {
    const activity = (color, size) =>
      svg('media/wdlab.svg').replace(
        '<svg ',
        `<svg style="color:${color};width:${size}px;height:${size}px" `,
      );
    const sheet = await browser.newPage({ viewport: { width: 560, height: 200 } });
    await sheet.setContent(`<html><body style="margin:0;display:flex;gap:16px;align-items:center;padding:16px;background:#888">
      ${svg('media/icon.svg')}
      <img src="data:image/png;base64,${readFileSync(join(root, 'media', 'icon.png')).toString('base64')}" width="64">
      <div style="background:#181818;padding:12px;display:flex;gap:12px;align-items:center">${activity('#cccccc', 24)}${activity('#cccccc', 72)}</div>
      <div style="background:#f8f8f8;padding:12px;display:flex;gap:12px;align-items:center">${activity('#424242', 24)}${activity('#424242', 72)}</div>
    </body></html>`);
    await sheet.screenshot({ path: preview });
    console.log(`wrote ${preview}`);
  }
} finally {
  await browser.close();
}
