/**
 * Writes a page's recordings (record mode) and tells what is wrong with the stored ones (check
 * mode): a block without a recording, one made from another version of the block or on another
 * sandbox recipe (stale), and a stored cast that no longer meets its block's expectations, judged
 * by src/common/block-output.ts as the page's Run and the live doc-tests are. The format and the
 * folders are src/blocks/recordings.ts's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encodeCast, encodeTopology, readCast, readIndex, readTopologyFile, topologyFile, type RecordedWith, type RecordingIndex } from '../../src/blocks/recordings.ts';
import type { TopologySnapshot } from '../../src/protocol/topology.ts';
import { sameTopology } from '../topology/model.ts';
import { BlockWatch, describeMismatch, judge, outputText } from '../../src/common/block-output.ts';
import { ShellMarkReader } from '../../src/protocol/shell-marks.ts';
import { configSchema } from '../config.ts';
import { connectEngine } from '../docker.ts';
import type { BlockOutcome } from './page-run.ts';
import type { DocPage } from './pages.ts';
import { blockTitle } from './report.ts';

/** The label runner/images/build.sh puts the recipe hash in. */
const RECIPE_LABEL = 'org.docker-network-lab.recipe-hash';

/**
 * Where recordings made now come from: the recipe hash of the sandbox image the doc-tests' runner
 * starts (LAB_SANDBOX_IMAGE, else the runner's default), and the commit checked out in `root`.
 */
export async function currentProvenance(root: string): Promise<RecordedWith> {
  const image = configSchema.shape.sandboxImage.parse(process.env.LAB_SANDBOX_IMAGE || undefined);
  const labels = (await connectEngine().getImage(image).inspect()).Config.Labels ?? {};
  const sandboxRecipe = labels[RECIPE_LABEL];
  if (!sandboxRecipe) throw new Error(`the sandbox image ${image} has no ${RECIPE_LABEL} label: build it with bash runner/setup/ensure-images.sh`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { sandboxRecipe, commit: git('rev-parse', 'HEAD'), uncommitted: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { sandboxRecipe, commit: 'unknown', uncommitted: false }; // not a git checkout (an unpacked release)
  }
}

/**
 * Writes every block's cast and the page's index, and the network after each block where it
 * differs from the one after the block before (the first block's always); removes the casts and
 * snapshots of blocks the page no longer has or whose network is now the same as before.
 */
export function writeRecordings(page: DocPage, outcomes: BlockOutcome[], engine: string, recordedWith: RecordedWith): void {
  mkdirSync(page.recordings, { recursive: true });
  const index: RecordingIndex = { sources: page.sources, recordedWith, blocks: {} };
  const snapshots = new Set<string>();
  let previous: TopologySnapshot | null = null;
  for (const outcome of outcomes) {
    const id = outcome.block.data.id;
    writeFileSync(join(page.recordings, `${id}.cast`), encodeCast(outcome.cast.header, outcome.cast.events));
    let topology: 'stored' | 'same' | undefined;
    if (outcome.topology) {
      topology = previous && sameTopology(previous, outcome.topology) ? 'same' : 'stored';
      if (topology === 'stored') {
        writeFileSync(topologyFile(page.recordings, id), encodeTopology(outcome.topology));
        snapshots.add(id);
      }
      previous = outcome.topology;
    }
    index.blocks[id] = {
      sourceHash: outcome.block.sourceHash,
      exitCode: outcome.exitCode,
      recordedAt: outcome.recordedAt.toISOString(),
      engine,
      durationMs: Math.round(outcome.durationMs),
      ...(topology ? { topology } : {}),
    };
  }
  writeFileSync(join(page.recordings, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  const ids = new Set(Object.keys(index.blocks));
  for (const entry of readdirSync(page.recordings, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    if (entry.name.endsWith('.topology.json')) {
      if (!snapshots.has(entry.name.slice(0, -'.topology.json'.length))) rmSync(join(page.recordings, entry.name));
    } else if (entry.name.endsWith('.cast') && !ids.has(entry.name.slice(0, -'.cast'.length))) rmSync(join(page.recordings, entry.name));
  }
}

/**
 * One line per problem with `page`'s stored recordings: missing, stale (another version of the
 * block, or another sandbox recipe than `current`'s), or a cast that does not end as its block
 * does or does not meet its expectations. Empty when every recording is there, fresh and passes.
 */
export function recordingProblems(page: DocPage, root: string, current: RecordedWith): string[] {
  const folder = relative(root, page.recordings);
  const index = readIndex(page.recordings);
  if (!index) return [`${page.name}: no recordings (${folder}/index.json is missing); run npm run record -- ${page.slug}`];
  const problems: string[] = [];
  const recipe = index.recordedWith?.sandboxRecipe;
  if (recipe !== current.sandboxRecipe) {
    problems.push(
      recipe === undefined
        ? `${page.name}: stale recordings: ${folder}/index.json does not say which sandbox recipe they were made on (the sandbox image now is recipe ${current.sandboxRecipe})`
        : `${page.name}: stale recordings: made on sandbox recipe ${recipe} (commit ${index.recordedWith?.commit}), the sandbox image now is recipe ${current.sandboxRecipe}`,
    );
  }
  let withoutTopology = 0;
  page.blocks.forEach((block, i) => {
    const entry = index.blocks[block.data.id];
    const where = blockTitle(page, i);
    const cast = join(page.recordings, `${block.data.id}.cast`);
    if (!entry) return void problems.push(`${where}: no recording`);
    if (entry.sourceHash !== block.sourceHash) return void problems.push(`${where}: stale recording (made from another version of the block: sourceHash ${entry.sourceHash}, the page's ${block.sourceHash})`);
    if (!existsSync(cast)) return void problems.push(`${where}: ${folder}/${block.data.id}.cast is missing`);
    problems.push(...castProblems(readCast(cast), block, entry.exitCode).map((problem) => `${where}: the recording ${problem}`));
    if (entry.topology === undefined) withoutTopology++;
    else if (entry.topology === 'stored' && !readTopologyFile(topologyFile(page.recordings, block.data.id))) {
      problems.push(`${where}: ${folder}/${block.data.id}.topology.json is missing or not a network snapshot`);
    }
  });
  if (withoutTopology > 0) problems.push(`${page.name}: stale recordings: ${withoutTopology} of ${page.blocks.length} blocks have no network snapshot (recorded before they were kept)`);
  if (problems.length) problems.push(`${page.name}: run npm run record -- ${page.slug}`);
  return problems;
}

/** What is wrong with a stored block's stream, judged as a live run is: its end, then its claims. */
function castProblems(stream: string, block: DocPage['blocks'][number], exitCode: number | null): string[] {
  const spec = { command: block.data.command, prompt: block.block.prompt };
  // Typed into bash when bash marked it as executed; else typed into a program.
  const atShell = new ShellMarkReader().feed(stream, 0).some((mark) => mark.kind === 'command-executed');
  const watch = new BlockWatch(spec, atShell);
  const end = watch.feed(stream);
  if (!end || end.kind === 'exited') return [block.block.prompt ? `does not end at the prompt /${block.block.prompt.source}/` : "does not end with the shell's command-finished mark"];
  if (end.kind === 'finished' && end.exitCode !== exitCode) return [`ends with exit status ${end.exitCode}, its index says ${exitCode}`];
  const judgement = judge(block.block, { exitCode, output: outputText(stream, spec) });
  return judgement.kind === 'failed' ? judgement.mismatches.map((m) => `does not meet the block's expectations: ${describeMismatch(m)}`) : [];
}
