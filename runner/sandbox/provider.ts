/**
 * Sandbox providers: where a reader's shell runs. The session asks its provider for a sandbox and
 * for the command that opens a shell inside it; it never talks to Docker itself.
 */

import type { PrepareStage } from '../../src/protocol/wire.ts';

/** Reports where a sandbox's preparation is, in a stage and a short English sentence. */
export type ProgressReporter = (stage: PrepareStage, detail: string) => void;

/** A command line node-pty can spawn: a lab shell inside the sandbox. */
export interface ShellCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export interface Sandbox {
  /** Short name for logs and the page (a container name, or "host"). */
  readonly name: string;
  /** The command that opens an interactive lab shell in this sandbox. */
  shell(): ShellCommand;
  /** True while the sandbox can still run shells (its container runs, its engine answers). */
  alive(): Promise<boolean>;
  /** Removes the sandbox and everything it holds. Idempotent. */
  dispose(): Promise<void>;
}

export interface SandboxProvider {
  readonly kind: 'dind' | 'host';
  /**
   * Makes a sandbox ready to run shells, reporting its stages. Rejects with a SandboxError.
   */
  create(sessionId: string, onProgress: ProgressReporter): Promise<Sandbox>;
  /** Removes labelled sandboxes left from an earlier runner; returns how many. */
  sweep(): Promise<number>;
  /** Releases what the provider holds ahead of demand (warm sandboxes). */
  close(): Promise<void>;
}

export class SandboxError extends Error {
  override name = 'SandboxError';
  /** engine-unavailable: the Docker engine does not answer; sandbox-failed: anything else. */
  readonly code: 'engine-unavailable' | 'sandbox-failed';
  constructor(code: 'engine-unavailable' | 'sandbox-failed', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
