/**
 * The build-time transform of runnable blocks, as an Expressive Code plugin: it runs on every
 * fence Starlight renders, whichever Markdown processor Astro uses, and keeps Expressive Code's
 * frame, highlighting and copy button. For a `sh run` fence it adds the block's id and metadata
 * (`data-lab-block`) for the page's Run controls; an `output` fence gets the label that says it is
 * the tutorial's own output; a `hidden` block folds into a <details>. Under each runnable block
 * goes its recorded output (src/blocks/recordings.ts), when content/recordings holds a recording
 * of this version of the block: the static page shows it with no runner and no JavaScript.
 *
 * Metadata errors stop the build with the page and the fence named.
 */
import { definePlugin, type ExpressiveCodeBlock } from '@astrojs/starlight/expressive-code';
import { h } from '@astrojs/starlight/expressive-code/hast';
import { uiString } from '../components/lab-strings.ts';
import { findRecording, pagePath, parentOf, RECORDING_STYLES, renderRecording } from './recordings.ts';
import { BlockNamer, normalizeCode, parseFence, RunnableMetaError, sourceHash, toBlockData, type FenceKind } from './runnable.ts';
import { renderStoredTopology } from './topology.ts';
import { TOPOLOGY_STYLES } from '../topology/styles.ts';

/** Its words are the site's i18n strings (`lab.code.*`, src/content/i18n), with Starlight's fallback. */
function label(kind: 'output' | 'hidden', locale: string | undefined): string {
  return uiString(locale, `lab.code.${kind}`);
}

/** One namer per document, so ids restart on each page (and on each rebuild of a page). */
const namers = new WeakMap<object, BlockNamer>();
const namersByPath = new Map<string, BlockNamer>();

function namerFor(block: ExpressiveCodeBlock): BlockNamer {
  const root = block.parentDocument?.documentRoot;
  if (root && typeof root === 'object') {
    let namer = namers.get(root);
    if (!namer) namers.set(root, (namer = new BlockNamer()));
    return namer;
  }
  const path = block.parentDocument?.sourceFilePath ?? '';
  let namer = namersByPath.get(path);
  if (!namer) namersByPath.set(path, (namer = new BlockNamer()));
  return namer;
}

const kinds = new WeakMap<ExpressiveCodeBlock, { fence: FenceKind; id: string | null; hash: string | null }>();


export function pluginRunnableBlocks() {
  return definePlugin({
    name: 'docker-network-lab runnable blocks',
    baseStyles: RECORDING_STYLES + TOPOLOGY_STYLES,
    hooks: {
      preprocessMetadata: ({ codeBlock }) => {
        let fence: FenceKind;
        try {
          fence = parseFence(codeBlock.language, codeBlock.meta);
        } catch (error) {
          if (!(error instanceof RunnableMetaError)) throw error;
          const where = codeBlock.parentDocument?.sourceFilePath ?? 'a page';
          throw new Error(`${where}: the fence \`${codeBlock.language} ${codeBlock.meta}\` (${codeBlock.code.split('\n')[0]}…): ${error.message}`, { cause: error });
        }
        const id = fence.kind === 'runnable' ? namerFor(codeBlock).next(codeBlock.code) : null;
        // Hashed before other plugins may rewrite the meta, as extractBlocks hashes it.
        const hash = fence.kind === 'runnable' ? sourceHash(codeBlock.meta, codeBlock.code) : null;
        kinds.set(codeBlock, { fence, id, hash });
        if (fence.kind === 'output') codeBlock.props.title = label('output', codeBlock.locale);
        if (fence.kind === 'runnable') codeBlock.props.frame = 'terminal';
      },
      postprocessRenderedBlock: ({ codeBlock, renderData }) => {
        const seen = kinds.get(codeBlock);
        if (!seen) return;
        const { fence, id } = seen;
        if (fence.kind === 'output') {
          renderData.blockAst.properties.dataLabOutput = '';
          return;
        }
        if (fence.kind !== 'runnable' || id === null) return;
        const data = toBlockData(id, fence.block, codeBlock.code);
        renderData.blockAst.properties.dataLabBlock = JSON.stringify(data);
        renderData.blockAst.properties.id = `block-${id}`;
        if (fence.block.hidden) {
          renderData.blockAst = h('details', { class: 'lab-hidden-block' }, [h('summary', label('hidden', codeBlock.locale)), renderData.blockAst]);
        }
      },
      postprocessRenderedBlockGroup: ({ renderedGroupContents, renderData }) => {
        for (const { codeBlock, renderedBlockAst } of renderedGroupContents) {
          const seen = kinds.get(codeBlock);
          if (seen?.fence.kind !== 'runnable' || seen.id === null || seen.hash === null) continue;
          const file = codeBlock.parentDocument?.sourceFilePath;
          const recording = file ? findRecording(file, seen.id, seen.hash) : 'missing';
          if (recording === 'stale' || recording === 'missing') {
            // The page shows no output for it; the doc-tests fail on it too (check mode).
            const why = recording === 'stale' ? 'its recording was dropped as stale (made from another version of the block)' : 'it has no recording';
            console.warn(`[lab recordings] ${file ? pagePath(file) : 'a page'}: block ${seen.id} (${codeBlock.code.split('\n')[0]}): ${why}; run npm run record`);
            continue;
          }
          const recorded = renderRecording(seen.id, recording, { command: normalizeCode(codeBlock.code), prompt: seen.fence.block.prompt }, codeBlock.locale);
          // The network after the block, when it changed (src/blocks/topology.ts), under its output.
          const network = file ? renderStoredTopology(file, seen.id, codeBlock.locale) : null;
          const shown = network ? [recorded, network] : [recorded];
          // Right under the block's frame; inside the <details> of a hidden block, so it folds with it.
          if (renderedBlockAst.tagName === 'details') {
            renderedBlockAst.children.push(...shown);
            continue;
          }
          const parent = parentOf(renderData.groupAst, renderedBlockAst);
          if (parent) parent.children.splice(parent.children.indexOf(renderedBlockAst) + 1, 0, ...shown);
        }
      },
    },
  });
}
