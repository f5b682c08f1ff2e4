/**
 * The doc-tests: a runner of their own (a child process on a free port, like `npm start`'s), a fresh
 * session per page, every block in order, and at the end a check that the runner's sandboxes and
 * their volumes are gone. The command line (main.ts) and the node:test suite
 * (tests/doctest/pages.test.ts) both drive pages through this.
 */
import { randomBytes } from 'node:crypto';
import { connectEngine } from '../docker.ts';
import { startRunner, type RunningRunner } from '../client/runner-process.ts';
import { SandboxWatch } from './leftovers.ts';
import { PageRun, type BlockOutcome, type PageRunOptions } from './page-run.ts';
import type { DocPage } from './pages.ts';

export interface PageResult {
  page: DocPage;
  outcomes: BlockOutcome[];
  /** The sandbox engine's version; empty when the session could not start. */
  engine: string;
  ms: number;
  /** Why the page could not run at all (its session did not start). */
  error: string | null;
}

export interface PageHooks {
  /** Before each block: its index and the time since the page's session was asked for. */
  onBlockStart?(index: number, elapsedMs: number): void;
  onBlockEnd?(outcome: BlockOutcome): void;
}

export class DocTestRunner {
  readonly runner: RunningRunner;
  readonly #watch: SandboxWatch;

  private constructor(runner: RunningRunner) {
    this.runner = runner;
    this.#watch = new SandboxWatch(connectEngine(), runner.owner);
  }

  /** Starts a runner of the doc-tests' own: dind sandboxes, none booted ahead, a fresh token. */
  static async start(env: Record<string, string> = {}): Promise<DocTestRunner> {
    const runner = await startRunner({
      LAB_PROVIDER: 'dind',
      LAB_WARM_SANDBOXES: '0',
      LAB_TOKEN: randomBytes(24).toString('base64url'),
      ...env,
    });
    return new DocTestRunner(runner);
  }

  /** A fresh session for `page`; the caller runs its blocks and closes it. */
  async open(page: DocPage, options: PageRunOptions = {}): Promise<PageRun> {
    const run = await PageRun.open(this.runner, page, undefined, options);
    await this.#watch.note();
    return run;
  }

  async runPage(page: DocPage, hooks: PageHooks = {}, options: PageRunOptions = {}): Promise<PageResult> {
    const started = performance.now();
    let run: PageRun;
    try {
      run = await this.open(page, options);
    } catch (error) {
      return { page, outcomes: [], engine: '', ms: performance.now() - started, error: `${page.name}: the session did not start: ${(error as Error).message}` };
    }
    const outcomes: BlockOutcome[] = [];
    try {
      for (let i = 0; i < page.blocks.length; i++) {
        hooks.onBlockStart?.(i, performance.now() - started);
        const outcome = await run.run(i);
        outcomes.push(outcome);
        hooks.onBlockEnd?.(outcome);
      }
    } finally {
      await run.close();
    }
    return { page, outcomes, engine: run.engine, ms: performance.now() - started, error: null };
  }

  /** Stops the runner and returns what is left of its sandboxes (nothing, when all is well). */
  async stop(): Promise<string[]> {
    await this.runner.stop();
    return this.#watch.settle();
  }

  get sandboxesSeen(): number {
    return this.#watch.seen.containers;
  }
}
