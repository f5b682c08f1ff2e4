/** How the doc-tests word what they do: progress lines and failure reports. */
import type { BlockOutcome } from './page-run.ts';
import type { DocPage } from './pages.ts';

/** Lines of output a failure report shows. */
const TAIL_LINES = 20;

/** `content/docs/docker-network.mdx:153 [fcf9e587f0ad] docker run -d -P --name tomcat01 tomcat` */
export function blockTitle(page: DocPage, index: number): string {
  const block = page.blocks[index];
  if (!block) return page.file;
  const lines = block.data.command.split('\n');
  const first = lines[0] + (lines.length > 1 ? ' …' : '');
  return `${page.file}:${block.line} [${block.data.id}] ${first}`;
}

export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** `docker-network  block 12/51  00:42  docker exec -it tomcat02 ping tomcat01` */
export function progressLine(page: DocPage, index: number, elapsedMs: number): string {
  const block = page.blocks[index];
  const first = block?.data.command.split('\n')[0] ?? '';
  return `${page.name}  block ${index + 1}/${page.blocks.length}  ${elapsed(elapsedMs)}  ${first.length > 70 ? `${first.slice(0, 69)}…` : first}`;
}

/** What the block expected, in words. */
export function expectedOf(outcome: BlockOutcome): string[] {
  const { exit, expect, until, prompt, timeout } = outcome.block.block;
  return [
    exit === null ? null : exit === 'nonzero' ? 'exit status nonzero (an expected failure)' : `exit status ${exit}`,
    expect ? `output matching /${expect.source}/` : null,
    prompt ? `ends at the prompt /${prompt.source}/` : null,
    until ? `then \`${until}\` exits 0` : null,
    `within ${timeout} s`,
  ].filter((line): line is string => line !== null);
}

/**
 * A failed block, readable without the page open:
 *
 *   ✗ docker-network, block 12 of 51: content/docs/docker-network.mdx:153 [9e583371d11d]
 *       $ docker exec -it tomcat02 ping tomcat01
 *     expected: exit status nonzero (an expected failure); output matching /…/; within 60 s
 *     got:      exit status: expected a failure (nonzero), got 0
 *     output (last 20 lines):
 *       | PING tomcat01 (172.18.0.2) …
 */
export function failureReport(outcome: BlockOutcome): string {
  const { page, index, block } = outcome;
  const command = block.data.command.split('\n').map((line, i) => `${i === 0 ? '    $ ' : '      '}${line}`);
  const lines = outcome.output.split('\n');
  const tail = lines.slice(-TAIL_LINES);
  return [
    `✗ ${page.name}, block ${index + 1} of ${page.blocks.length}: ${page.file}:${block.line} [${block.data.id}] (terminal ${block.data.terminal})`,
    ...command,
    `  expected: ${expectedOf(outcome).join('; ')}`,
    ...outcome.failures.map((failure, i) => `  ${i === 0 ? 'got:     ' : '         '} ${failure}`),
    `  output${lines.length > TAIL_LINES ? ` (last ${TAIL_LINES} of ${lines.length} lines)` : ''}:`,
    ...(outcome.output.trim() === '' ? ['    (none)'] : tail.map((line) => `    | ${line}`)),
  ].join('\n');
}
