import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { indexPage, indexPages, pageSlug } from '../../src/workshop/block-index.ts';
import { extractBlocks } from '../../src/blocks/extract.ts';

const page = (body: string, id = 'en/sample', title = 'Sample', order?: number) => ({ id, body, title, order });

test('a page is named without its locale, so a learner who switches language keeps their progress', () => {
  assert.equal(pageSlug('en/docker-network'), 'docker-network');
  assert.equal(pageSlug('docker-network'), 'docker-network');
  const zh = readFileSync(new URL('../../content/docs/docker-network.mdx', import.meta.url), 'utf8');
  const en = readFileSync(new URL('../../content/docs/en/docker-network.mdx', import.meta.url), 'utf8');
  const ids = (body: string, id: string) => indexPage(page(body, id))?.blocks.map((b) => b.id);
  assert.deepEqual(ids(en, 'en/docker-network'), ids(zh, 'docker-network'), 'the translation counts the same blocks');
});

test('each visible block sits under the nearest heading above it; hidden setup steps are not counted', () => {
  const body = ['---', 'title: Sample', '---', '', '```sh run hidden', 'docker pull x', '```', '', 'Intro.', '', '```sh run', 'ip addr', '```', '', '## First `docker0`', '', '```sh run', 'docker ps', '```', '', '#### Too deep to count', '', '```sh run', 'docker ps -a', '```', '', '### Second', '', '```sh', 'not runnable', '```', '', '```sh run', 'ip route', '```', ''].join('\n');
  const indexed = indexPage(page(body));
  assert.ok(indexed);
  assert.equal(indexed.slug, 'sample');
  const visible = extractBlocks(body, 'sample').filter((b) => !b.data.hidden).map((b) => b.data.id);
  assert.deepEqual(indexed.blocks.map((b) => b.id), visible);
  assert.deepEqual(indexed.blocks.map((b) => b.section), [null, 'First docker0', 'First docker0', 'Second']);
});

test('pages without runnable blocks are left out, the rest come in the sidebar order', () => {
  const withBlock = (cmd: string) => `# T\n\n\`\`\`sh run\n${cmd}\n\`\`\`\n`;
  const pages = indexPages([page(withBlock('a'), 'b-page', 'B', 3), page('No blocks here.', 'lab', 'Lab', 1), page(withBlock('b'), 'a-page', 'A', 2), page(withBlock('c'), 'c-page', 'C')]);
  assert.deepEqual(pages.map((p) => p.slug), ['a-page', 'b-page', 'c-page']);
});
