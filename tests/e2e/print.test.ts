/**
 * Printing a tutorial page (Chromium's own print to PDF, as a reader's Print does): the PDF's text
 * (read by poppler's pdftotext, not by this site's code) has the page's prose, every command with
 * the output recorded for it, a setup step that is folded on screen, and the diagrams' images; and
 * none of the lab's controls: no terminal, no Run buttons, no offline note. The first pages are
 * left as PNG in test-results/ (print-*.png) to look at.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artefactPath, useStaticSite } from '../support/browser.ts';

const site = useStaticSite();
const dir = mkdtempSync(join(tmpdir(), 'lab-print-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The text of a PDF, laid out as on the page (pdftotext -layout). */
function pdfText(file: string): string {
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

test('a printed tutorial page has its commands, their recorded output and its diagrams, and no controls', async () => {
  const context = await site.browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${site.url}/en/docker-network/`);
  await page.locator('lab-terminal[data-state="offline"]').waitFor({ timeout: 15_000 });
  await page.emulateMedia({ media: 'print' });
  const diagrams = await page.locator('main img[src*="/diagrams/"]').evaluateAll((images) => images.map((i) => (i as HTMLImageElement).getBoundingClientRect().height));
  assert.ok(diagrams.length >= 3 && diagrams.every((h) => h > 50), `the diagrams are printed (heights ${diagrams.join(', ')})`);
  const pdf = await page.pdf({ format: 'A4', printBackground: false });
  const file = join(dir, 'docker-network.pdf');
  writeFileSync(file, pdf);
  const text = pdfText(file);

  assert.match(text, /docker0/, 'the prose');
  // `ip addr` and what it printed in the recording: the sandbox's docker0.
  assert.match(text, /\bip addr\b/);
  assert.match(text, /inet 172\.18\.0\.1\/16 brd 172\.18\.255\.255 scope global docker0/, 'a recorded output line');
  assert.match(text, /Recorded output/, 'the recordings\' captions');
  assert.match(text, /docker ps -aq \| xargs -r docker rm -f/, 'the folded setup step, printed open');
  for (const control of [/Run all above/, /Not run/, /Lab terminal/, /Try again/, /npm start/]) {
    assert.doesNotMatch(text, control, `no ${control} on paper`);
  }

  execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '3', file, join(dir, 'page')]);
  for (const png of readdirSync(dir).filter((f) => f.endsWith('.png'))) {
    copyFileSync(join(dir, png), artefactPath(`print-${png}`));
  }
  await context.close();
});
