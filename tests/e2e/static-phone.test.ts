/**
 * A published static site (no runner, the normal case) on a phone reads as a finished document:
 * nothing error-coloured stays fixed on the screen, one quiet note says how to go live, and on a
 * page of blocks the dock stays folded to its bar until the reader opens it. Screenshots are left
 * in test-results/ (static-phone-*.png).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { artefactPath, useStaticSite } from '../support/browser.ts';

const PHONE = { width: 390, height: 844 };

const site = useStaticSite();

interface Pinned {
  what: string;
  /** Share of the viewport it covers. */
  share: number;
  background: string;
  /** Its background is red, pink or orange (a hue an error or warning uses), and not grey. */
  alarming: boolean;
}

/** Every visible element that stays on screen while the page scrolls (fixed or sticky), and what it covers. */
function pinnedElements(page: Page): Promise<Pinned[]> {
  return page.evaluate(() => {
    const hue = (rgb: string): { h: number; s: number; a: number } => {
      const [r = 0, g = 0, b = 0, a = 1] = (rgb.match(/[\d.]+/g) ?? []).map(Number);
      const max = Math.max(r, g, b) / 255;
      const min = Math.min(r, g, b) / 255;
      const d = max - min;
      const l = (max + min) / 2;
      const s = d === 0 ? 0 : d / (1 - Math.abs(2 * l - 1));
      let h = 0;
      if (d !== 0) {
        if (max === r / 255) h = 60 * (((g / 255 - b / 255) / d) % 6);
        else if (max === g / 255) h = 60 * ((b / 255 - r / 255) / d + 2);
        else h = 60 * ((r / 255 - g / 255) / d + 4);
      }
      return { h: (h + 360) % 360, s, a };
    };
    const out: Pinned[] = [];
    const viewport = innerWidth * innerHeight;
    for (const element of document.querySelectorAll<HTMLElement>('body *')) {
      const style = getComputedStyle(element);
      const pinned = [element, ...ancestors(element)].some((e) => ['fixed', 'sticky'].includes(getComputedStyle(e).position));
      if (!pinned || style.visibility === 'hidden' || style.display === 'none') continue;
      const box = element.getBoundingClientRect();
      const w = Math.max(0, Math.min(innerWidth, box.right) - Math.max(0, box.left));
      const hgt = Math.max(0, Math.min(innerHeight, box.bottom) - Math.max(0, box.top));
      if (w * hgt === 0) continue;
      const { h, s, a } = hue(style.backgroundColor);
      const alarming = a > 0.05 && s > 0.25 && (h < 45 || h > 320);
      if (['fixed', 'sticky'].includes(style.position) || alarming) {
        out.push({ what: `${element.tagName.toLowerCase()}.${[...element.classList].join('.')}`, share: (w * hgt) / viewport, background: style.backgroundColor, alarming });
      }
    }
    return out;
    function ancestors(element: HTMLElement): HTMLElement[] {
      const list: HTMLElement[] = [];
      for (let e = element.parentElement; e && e !== document.body; e = e.parentElement) list.push(e);
      return list;
    }
  });
}

async function openStatic(path: string, theme: 'light' | 'dark'): Promise<Page> {
  const context = await site.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: theme });
  const page = await context.newPage();
  await page.goto(`${site.url}${path}`);
  await page.locator('lab-terminal[data-state="offline"]').waitFor({ timeout: 15_000 });
  return page;
}

for (const { path, theme, note } of [
  { path: '/en/docker-network/', theme: 'dark', note: /npm start[\s\S]*open the link it prints/ },
  { path: '/docker-network/', theme: 'light', note: /npm start[\s\S]*打开它打印出的链接/ },
] as const) {
  test(`a page of blocks on a phone, no runner (${path}, ${theme}): one quiet note, the dock folded, nothing alarming pinned`, async () => {
    const page = await openStatic(path, theme);
    const dock = page.locator('lab-terminal');
    assert.equal(await dock.getAttribute('data-collapsed'), '', 'the dock stays folded to its bar');
    const notes = page.locator('[data-lab-offline], lab-terminal [data-part="notice"]').filter({ visible: true });
    assert.equal(await notes.count(), 1, 'one note about going live');
    assert.match((await notes.first().textContent()) ?? '', note);
    await page.screenshot({ path: artefactPath(`static-phone-${theme}${path.replace(/\//g, '-')}top.png`) });

    // Half-way down the page: what stays on screen while reading.
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight / 2));
    const pinned = await pinnedElements(page);
    const alarming = pinned.filter((p) => p.alarming);
    assert.deepEqual(alarming, [], 'nothing red or orange stays on the screen');
    const dockBox = await dock.boundingBox();
    assert.ok(dockBox && dockBox.height <= PHONE.height * 0.1, `the folded dock is a bar (${dockBox?.height}px of ${PHONE.height})`);
    await page.screenshot({ path: artefactPath(`static-phone-${theme}${path.replace(/\//g, '-')}middle.png`) });

    // The reader opens it: the terminal says how to go live, in the page's colours, not an error's.
    await page.locator('[data-action="toggle"]').click();
    assert.equal(await dock.getAttribute('data-collapsed'), null);
    assert.deepEqual((await pinnedElements(page)).filter((p) => p.alarming), [], 'the open dock is not error-coloured either');
    await page.context().close();
  });
}

test('the lab page on a phone, no runner: its terminal says how to go live, nothing alarming pinned', async () => {
  const page = await openStatic('/en/lab/', 'dark');
  const notice = page.locator('lab-terminal [data-part="notice"]');
  assert.match((await notice.textContent()) ?? '', /npm start/);
  assert.deepEqual((await pinnedElements(page)).filter((p) => p.alarming), [], 'nothing red or orange stays on the screen');
  await page.screenshot({ path: artefactPath('static-phone-dark-en-lab.png') });
  await page.context().close();
});
