/**
 * The network diagrams of the static site, as `astro build` leaves them in dist/ from the stored
 * snapshots (content/recordings/<page>/<block>.topology.json): under the Redis cluster's `docker
 * run` loop, six containers on 172.38.0.0/16 at .11 to .16; under `docker network connect`,
 * tomcat01 on both networks; folded, inside the part of the page the site search indexes, in both
 * locales. Then the pages in Chromium with no runner, unfolded at the veth section, after `network
 * connect` and after the Redis cluster, light and dark, screenshots in test-results/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHtml } from 'hast-util-from-html';
import { select, selectAll } from 'hast-util-select';
import { toText } from 'hast-util-to-text';
import type { Element, Root } from 'hast';
import { extractBlocks } from '../../src/blocks/extract.ts';
import { artefactPath, useStaticSite } from '../support/browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  { source: 'content/docs/docker-network.mdx', built: 'dist/docker-network/index.html', path: '/docker-network/' },
  { source: 'content/docs/en/docker-network.mdx', built: 'dist/en/docker-network/index.html', path: '/en/docker-network/' },
];

/** Until the doc-tests have stored snapshots beside the recordings, there is nothing to draw. */
const stored = readdirSync(join(ROOT, 'content/recordings/docker-network')).filter((name) => name.endsWith('.topology.json')).length;
const NO_SNAPSHOTS = stored === 0 ? 'no stored snapshots in content/recordings/docker-network yet (npm run record stores them)' : false;

/** The id of the first runnable block of `source` whose command starts with `command`. */
function blockId(source: string, command: string): string {
  const blocks = extractBlocks(readFileSync(join(ROOT, source), 'utf8'), source);
  const found = blocks.find((b) => b.data.command.trimStart().startsWith(command));
  assert.ok(found, `${source} has a block starting with ${command}`);
  return found.data.id;
}

function diagram(tree: Root, id: string): Element {
  const details = select(`details.lab-topology[data-lab-topology="${id}"]`, tree);
  assert.ok(details, `a network diagram under block ${id}`);
  return details;
}

/** The table's rows as [network, container, interface, address, peer]. */
const rows = (details: Element) => selectAll('table tbody tr', details).map((tr) => selectAll('td', tr).map((td) => toText(td)));

for (const page of PAGES) {
  test(`${page.built}: the Redis network and network connect, drawn from the stored snapshots`, { skip: NO_SNAPSHOTS }, () => {
    const tree = fromHtml(readFileSync(join(ROOT, page.built), 'utf8'));
    const body = select('[data-pagefind-body]', tree);
    assert.ok(body, 'the page has the part the search indexes');

    const redis = diagram(tree, blockId(page.source, 'for port in $(seq 1 6); \\\ndo \\\ndocker run'));
    assert.equal(redis.properties.open, undefined, 'folded by default');
    assert.ok(selectAll('details.lab-topology', body).includes(redis), 'inside what the search indexes');
    const onRedis = rows(redis).filter((row) => row[0] === 'redis' && /^redis-\d$/.test(row[1] ?? ''));
    assert.deepEqual(
      onRedis.map((row) => [row[1], row[3]?.split(' ')[0]]).sort(),
      [1, 2, 3, 4, 5, 6].map((n) => [`redis-${n}`, `172.38.0.1${n}/16`]),
    );
    assert.ok(rows(redis).some((row) => row[0] === 'redis' && row[3]?.startsWith('172.38.0.0/16')), 'the network redis is 172.38.0.0/16');
    const svgText = toText(select('svg', redis) as Element);
    for (let n = 1; n <= 6; n++) assert.ok(svgText.includes(`eth0 172.38.0.1${n}/16`), `redis-${n}'s address is text in the SVG`);
    assert.equal(selectAll('svg [data-node^="ctr:redis-"].is-added', redis).length, 6, 'the six new nodes are highlighted');

    const connect = diagram(tree, blockId(page.source, 'docker network connect mynet tomcat01'));
    const tomcat01 = rows(connect).filter((row) => row[1] === 'tomcat01');
    assert.deepEqual(tomcat01.map((row) => row[0]).sort(), ['bridge', 'mynet'], 'tomcat01 on both networks');
    assert.deepEqual(selectAll('svg [data-cable^="cable:tomcat01:"]', connect).map((g) => g.properties.dataNetwork).sort(), ['bridge', 'mynet'], 'two cables');
  });
}

const site = useStaticSite();

test('the diagrams in Chromium, no runner: veth section, network connect, Redis; light and dark', { skip: NO_SNAPSHOTS }, async () => {
  const { browser, url } = site;
  const shots: Record<string, string> = {
    veth: blockId(PAGES[1]!.source, 'docker run -d -P --name tomcat02 tomcat'),
    connect: blockId(PAGES[1]!.source, 'docker network connect mynet tomcat01'),
    redis: blockId(PAGES[1]!.source, 'for port in $(seq 1 6); \\\ndo \\\ndocker run'),
  };
  for (const theme of ['light', 'dark'] as const) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, colorScheme: theme });
    await context.addInitScript((value) => localStorage.setItem('starlight-theme', value), theme);
    const page = await context.newPage();
    await page.goto(`${url}${PAGES[1]!.path}`);
    // The docked terminal sticks to the bottom of the viewport; out of the pictures of what is above it.
    await page.addStyleTag({ content: 'lab-terminal { display: none !important; }' });
    for (const [name, id] of Object.entries(shots)) {
      const details = page.locator(`details.lab-topology[data-lab-topology="${id}"]`);
      await details.locator('summary').click();
      assert.equal(await details.getAttribute('open'), '', `${name}: it unfolds`);
      assert.ok(((await details.locator('svg').boundingBox())?.width ?? 0) > 200, `${name}: the diagram is drawn`);
      await details.scrollIntoViewIfNeeded();
      await details.screenshot({ path: artefactPath(`static-topology-${name}-${theme}.png`) });
    }
    await context.close();
  }
});
