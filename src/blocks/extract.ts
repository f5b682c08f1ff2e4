/**
 * The runnable blocks of a page's source, in order, named as the site names them
 * (src/blocks/expressive-code-runnable.ts): the doc-test driver and the static-build checks read
 * pages through this. Pages hold no JSX, so a CommonMark parse finds every fence.
 */
import { fromMarkdown } from 'mdast-util-from-markdown';
import type { Code, Nodes } from 'mdast';
import { BlockNamer, parseFence, RunnableMetaError, sourceHash, toBlockData, type RunnableBlock, type RunnableBlockData } from './runnable.ts';

export interface ExtractedBlock {
  data: RunnableBlockData;
  block: RunnableBlock;
  /** Changes when the block's code or metadata does; a recording made from another is stale. */
  sourceHash: string;
  /** 1-based line of the fence in the page's source. */
  line: number;
}

export function extractBlocks(source: string, file: string): ExtractedBlock[] {
  const tree = fromMarkdown(source.replace(/^---\n[\s\S]*?\n---\n/, (front) => '\n'.repeat(front.split('\n').length - 1)));
  const namer = new BlockNamer();
  const blocks: ExtractedBlock[] = [];
  const visit = (node: Nodes) => {
    if (node.type === 'code') return void take(node);
    if ('children' in node) for (const child of node.children) visit(child);
  };
  const take = (node: Code) => {
    const line = node.position?.start.line ?? 0;
    let fence;
    try {
      fence = parseFence(node.lang, node.meta);
    } catch (error) {
      if (error instanceof RunnableMetaError) throw new RunnableMetaError(`${file}:${line}: ${error.message}`);
      throw error;
    }
    if (fence.kind !== 'runnable') return;
    const id = namer.next(node.value);
    blocks.push({ data: toBlockData(id, fence.block, node.value), block: fence.block, sourceHash: sourceHash(node.meta ?? '', node.value), line });
  };
  visit(tree);
  return blocks;
}
