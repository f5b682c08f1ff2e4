/**
 * The runner serves the built site precompressed: brotli or gzip as the client's Accept-Encoding
 * says (the copies the build made, src/build/precompress.ts), the file as is otherwise; hashed
 * assets cached for good, pages revalidated; and a path out of the site is still not there.
 * A small site of its own, compressed by the build step's own function.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { precompressDir } from '../../src/build/precompress.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { rawRequest } from '../support/raw-http.ts';

const PAGE = `<!doctype html><html lang="zh-CN"><title>网络</title><body>${'<p>Docker 网络实验室</p>\n'.repeat(200)}</body></html>`;
const SCRIPT = `export const lines = [${Array.from({ length: 300 }, (_, i) => `"line ${i}"`).join(', ')}];\n`;
const ASSET = '/_astro/lab-terminal.B4c9xY2z.js';

let site: string;
let runner: RunningRunner;

before(async () => {
  site = await mkdtemp(join(tmpdir(), 'lab-site-'));
  await mkdir(join(site, '_astro'));
  await mkdir(join(site, 'en'));
  await writeFile(join(site, 'index.html'), PAGE);
  await writeFile(join(site, 'en', 'index.html'), PAGE);
  await writeFile(join(site, ASSET), SCRIPT);
  const made = await precompressDir(site);
  assert.equal(made.files, 3, 'the build step compressed the three files');
  runner = await startRunner({ LAB_PROVIDER: 'host', LAB_SITE_DIR: site });
});

after(async () => {
  await runner?.stop();
  await rm(site, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: runner.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('Accept-Encoding br gets the brotli copy, gzip the gzip copy, none the file as is', async () => {
  for (const path of ['/', '/en/', ASSET]) {
    const original = path === ASSET ? SCRIPT : PAGE;
    const br = await get(path, { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200, path);
    assert.equal(br.headers['content-encoding'], 'br', `${path}: a browser's header gets brotli`);
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.ok(br.body.length < Buffer.byteLength(original) / 2, `${path}: the brotli copy is smaller`);
    assert.equal(brotliDecompressSync(br.body).toString('utf8'), original);

    const gz = await get(path, { 'Accept-Encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip', path);
    assert.equal(gunzipSync(gz.body).toString('utf8'), original);

    for (const accept of [undefined, 'identity', 'br;q=0, gzip;q=0']) {
      const plain = await get(path, accept ? { 'Accept-Encoding': accept } : {});
      assert.equal(plain.headers['content-encoding'], undefined, `${path} with ${accept ?? 'no Accept-Encoding'}`);
      assert.equal(plain.body.toString('utf8'), original);
    }
    assert.match(String(br.headers['content-type']), path === ASSET ? /^(text|application)\/javascript/ : /^text\/html/, `${path}: the type of the file, not of its copy`);
  }
});

test('hashed assets are cached for good; pages are revalidated', async () => {
  const asset = await get(ASSET, { 'Accept-Encoding': 'br' });
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  for (const accept of ['br', 'gzip', 'identity']) {
    const page = await get('/', { 'Accept-Encoding': accept });
    assert.equal(page.headers['cache-control'], 'no-cache', `the page as ${accept}`);
  }
  assert.equal(asset.headers['x-content-type-options'], 'nosniff', 'the security headers still apply');
});

test('a path out of the site, plain or encoded, is not found; a missing file neither', async () => {
  for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/_astro/..%2f..%2f..%2fetc%2fpasswd', '/_astro/%2e%2e/%2e%2e/%2e%2e/etc/passwd.br', '/index.html.br/../../../etc/passwd', '/nothing-here.js']) {
    const response = await rawRequest(runner.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${runner.port}\r\nAccept-Encoding: br, gzip\r\nConnection: close\r\n\r\n`);
    assert.equal(response.status, 404, path);
    assert.doesNotMatch(response.body, /root:/, path);
  }
});
