/**
 * (d) The JavaScript a page loads before anyone uses a terminal: each script fetched up to the load
 * event and the network going quiet after it, gzipped here one file at a time (zlib's default
 * level; the runner's static server sends them uncompressed), plus the page's inline scripts.
 * Starlight's search fetches Pagefind's UI once the page is idle: scripts fetched after the load
 * event that are Pagefind's (by URL or content) are counted apart.
 */
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { VIEWPORT } from './arms.ts';

/** The network counts as quiet after this long without a request. */
const QUIET_MS = 3_000;
const MAX_WAIT_MS = 30_000;

export interface PageJs {
  /** Scripts with a URL of their own, gzipped, fetched up to load and after it, Pagefind excluded. */
  toLoadGz: number;
  afterLoadGz: number;
  /** The page's inline scripts, gzipped together. */
  inlineGz: number;
  /** Pagefind's JS (gzipped), fetched on idle, and its other files (wasm, index; gzipped). */
  pagefindJsGz: number;
  pagefindOtherGz: number;
  /** Each script: name, gzipped size, when it was fetched. */
  files: { name: string; gz: number; when: 'load' | 'idle' | 'pagefind' }[];
}

const gz = (body: Buffer) => gzipSync(body).length;

function inlineScripts(html: string): string {
  const scripts = [...html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)];
  return scripts
    .filter(([, attributes = '']) => !/\ssrc=/i.test(attributes) && !/type=["']?application\/(ld\+)?json/i.test(attributes))
    .map(([, , body]) => body ?? '')
    .join('\n');
}

export async function measurePageJs(browser: Browser, url: string): Promise<PageJs> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const requests = new Map<string, { at: number; url: string; mime: string; type: string }>();
  const finished: string[] = [];
  let loadAt = Infinity;
  let lastActivity = Date.now();
  let inFlight = 0;
  cdp.on('Network.requestWillBeSent', ({ requestId, timestamp, request, type }) => {
    inFlight += 1;
    lastActivity = Date.now();
    requests.set(requestId, { at: timestamp, url: request.url, mime: '', type: type ?? '' });
  });
  cdp.on('Network.responseReceived', ({ requestId, response }) => {
    const request = requests.get(requestId);
    if (request) request.mime = response.mimeType;
  });
  cdp.on('Network.loadingFinished', ({ requestId }) => {
    inFlight -= 1;
    lastActivity = Date.now();
    finished.push(requestId);
  });
  cdp.on('Network.loadingFailed', () => {
    inFlight -= 1;
    lastActivity = Date.now();
  });
  cdp.on('Page.loadEventFired', ({ timestamp }) => (loadAt = timestamp));
  await cdp.send('Network.enable');
  await cdp.send('Page.enable');
  try {
    await page.goto(url, { waitUntil: 'load' });
    const deadline = Date.now() + MAX_WAIT_MS;
    while (Date.now() < deadline && (inFlight > 0 || Date.now() - lastActivity < QUIET_MS)) await new Promise((r) => setTimeout(r, 100));
    const result: PageJs = { toLoadGz: 0, afterLoadGz: 0, inlineGz: 0, pagefindJsGz: 0, pagefindOtherGz: 0, files: [] };
    for (const id of finished) {
      const request = requests.get(id);
      if (!request || request.url.startsWith('data:')) continue;
      const { body, base64Encoded } = await cdp.send('Network.getResponseBody', { requestId: id });
      const buffer = Buffer.from(body, base64Encoded ? 'base64' : 'utf8');
      const path = new URL(request.url).pathname;
      const isJs = /javascript|ecmascript/.test(request.mime) || /\.m?js$/.test(path);
      const afterLoad = request.at > loadAt;
      const size = gz(buffer);
      if (path.includes('/pagefind/') || (isJs && afterLoad && buffer.includes('pagefind'))) {
        if (isJs) result.pagefindJsGz += size;
        else result.pagefindOtherGz += size;
        if (isJs) result.files.push({ name: basename(path), gz: size, when: 'pagefind' });
      } else if (isJs) {
        if (afterLoad) result.afterLoadGz += size;
        else result.toLoadGz += size;
        result.files.push({ name: basename(path), gz: size, when: afterLoad ? 'idle' : 'load' });
      } else if (request.type === 'Document') {
        const inline = inlineScripts(buffer.toString('utf8'));
        if (inline.trim()) result.inlineGz += gz(Buffer.from(inline));
      }
    }
    return result;
  } finally {
    await context.close();
  }
}
