/**
 * Which pages the doc-tests run: a page and its translation run once when their runnable blocks are
 * the same, and share one folder of recordings; when the blocks differ, both run, and the
 * translation's recordings go to a folder of its own. Pages without runnable blocks are left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPages } from '../../runner/doctest/pages.ts';

function site(pages: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lab-pages-'));
  for (const [file, body] of Object.entries(pages)) {
    mkdirSync(join(root, 'content/docs', file, '..'), { recursive: true });
    writeFileSync(join(root, 'content/docs', file), `---\ntitle: t\n---\n\n${body}\n`);
  }
  return root;
}

const fence = (meta: string, code: string) => `\`\`\`sh ${meta}\n${code}\n\`\`\`\n`;

test('translations with the same blocks run once and share recordings', () => {
  const blocks = fence('run', 'docker network ls') + fence('run exit=nonzero', 'ping -c 1 nowhere');
  const root = site({ 'net.mdx': `中文\n\n${blocks}`, 'en/net.mdx': `English\n\n${blocks}`, 'index.mdx': 'no blocks here', 'en/index.mdx': 'none' });
  try {
    const pages = findPages(root);
    assert.equal(pages.length, 1);
    assert.deepEqual(pages[0]?.sources, ['content/docs/net.mdx', 'content/docs/en/net.mdx']);
    assert.equal(pages[0]?.file, 'content/docs/net.mdx', 'the root locale is the one run');
    assert.equal(pages[0]?.recordings, join(root, 'content/recordings/net'));
    assert.equal(pages[0]?.blocks.length, 2);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('a translation whose blocks differ runs on its own, with recordings of its own', () => {
  const root = site({
    'net.mdx': fence('run', 'docker network ls'),
    'en/net.mdx': fence('run expect="bridge"', 'docker network ls'),
  });
  try {
    const pages = findPages(root);
    assert.deepEqual(
      pages.map((p) => [p.name, p.file, p.recordings]),
      [
        ['net', 'content/docs/net.mdx', join(root, 'content/recordings/net')],
        ['net (en)', 'content/docs/en/net.mdx', join(root, 'content/recordings/net/en')],
      ],
    );
    assert.deepEqual(findPages(root, ['en/']).map((p) => p.name), ['net (en)'], 'a word keeps the pages whose file has it');
  } finally {
    rmSync(root, { recursive: true });
  }
});
