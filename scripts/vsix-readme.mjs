// The README packaged into the VSIX (`npm run package`: vsce --readme-path out/vsix-readme.markdown): the
// user's README, README.vsix.md, with the images it links by a relative path made absolute, or left out.
//
// Why: VS Code 1.139's Extensions view renders an extension's README in a webview that shows images from
// http(s) only (its sanitizer drops data: and relative sources, its Content Security Policy admits https:
// and data:), and the Marketplace takes https images only. This package has no public https home yet
// (package.json names no repository), so by default the screenshot is left out of the packaged README
// rather than shown broken; README.vsix.md keeps it with a relative link, which reads right in the
// repository. WDLAB_README_IMAGES_URL=https://… (where the repository's files are served, e.g. a GitHub
// repository's raw/main) makes each relative image `<that URL>/<its path>` instead.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = 'README.vsix.md';
export const PACKAGED = 'out/vsix-readme.markdown';

/** README.vsix.md for the package: relative images under `imagesUrl` (https), or dropped without one. */
export function packagedReadme(dir = root, imagesUrl = process.env.WDLAB_README_IMAGES_URL) {
  if (imagesUrl && !/^https:\/\//.test(imagesUrl))
    throw new Error(`WDLAB_README_IMAGES_URL must be an https URL (got ${imagesUrl})`);
  const text = readFileSync(join(dir, SOURCE), 'utf8');
  // An image on a paragraph of its own (with the blank line after it), or inline.
  return text.replace(/(!\[[^\]]*\]\()([^)\s]+)(\))(\n\n)?/g, (all, open, link, close, after = '') => {
    if (/^[a-z]+:/i.test(link)) return all;
    if (!imagesUrl) return '';
    return `${open}${imagesUrl.replace(/\/$/, '')}/${link.replace(/^\.\//, '')}${close}${after}`;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mkdirSync(join(root, dirname(PACKAGED)), { recursive: true });
  writeFileSync(join(root, PACKAGED), packagedReadme());
  const how = process.env.WDLAB_README_IMAGES_URL
    ? `its images under ${process.env.WDLAB_README_IMAGES_URL}`
    : 'without its relative images (set WDLAB_README_IMAGES_URL to an https URL to keep them)';
  console.log(`wrote ${PACKAGED} from ${SOURCE}, ${how}`);
}
