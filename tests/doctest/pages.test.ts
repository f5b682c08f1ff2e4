/**
 * The doc-tests, in the test suite: every runnable block of every page, in order, in a fresh
 * sandbox per page, through the real runner and the page's wire protocol, checked against its
 * expectations (runner/doctest/). Then: every block has a recording made from its current source
 * on the current sandbox recipe, whose stored cast still meets the block's expectations, and the runner's sandboxes and their volumes are gone. `npm run doctest` runs the same checks
 * from the command line; `npm run record` rewrites the recordings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { DocTestRunner } from '../../runner/doctest/doctest.ts';
import { findPages } from '../../runner/doctest/pages.ts';
import { currentProvenance, recordingProblems } from '../../runner/doctest/recording-store.ts';
import { failureReport } from '../../runner/doctest/report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pages = findPages(ROOT);
let doctests: DocTestRunner;
let provenance: Awaited<ReturnType<typeof currentProvenance>>;
let stopped = false;

before(async () => {
  provenance = await currentProvenance(ROOT);
  doctests = await DocTestRunner.start();
});

after(async () => {
  if (!stopped) await doctests?.stop();
});

test('there are pages with runnable blocks, read through extractBlocks', () => {
  assert.ok(pages.some((page) => page.slug === 'docker-network'), 'the tutorial is among them');
});

for (const page of pages) {
  test(`${page.name}: its ${page.blocks.length} blocks run as the page says`, async (t) => {
    const run = await doctests.open(page);
    try {
      for (let i = 0; i < page.blocks.length; i++) {
        const block = page.blocks[i];
        const first = block?.data.command.split('\n')[0] ?? '';
        await t.test(`block ${i + 1}/${page.blocks.length}, line ${block?.line}: ${first}`, async (s) => {
          const outcome = await run.run(i);
          if (outcome.status === 'skipped') return s.skip(outcome.failures[0]);
          if (outcome.status === 'failed') assert.fail(`\n${failureReport(outcome)}`);
        });
      }
    } finally {
      await run.close();
    }
  });

  test(`${page.name}: every block has a fresh recording that meets its expectations`, () => {
    assert.deepEqual(recordingProblems(page, ROOT, provenance), []);
  });
}

test('the doc-tests leave no sandbox or volume of theirs behind', async () => {
  stopped = true;
  const left = await doctests.stop();
  assert.equal(doctests.sandboxesSeen, pages.length, 'one sandbox per page was watched');
  assert.deepEqual(left, []);
});
