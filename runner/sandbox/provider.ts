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

/** What a command run with `Sandbox.exec` printed, and how it ended. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Its exit status; `null` when it did not end within the time given (it is then killed). */
  code: number | null;
}

export interface ExecOptions {
  /** The command is killed and the result says `code: null` after this long. */
  timeoutMs: number;
  /** Output beyond this many bytes (stdout and stderr together) fails the call. */
  maxBytes?: number;
}

export interface Sandbox {
  /** Short name for logs and the page (a container name, or "host"). */
  readonly name: string;
  /** The command that opens an interactive lab shell in this sandbox. */
  shell(): ShellCommand;
  /**
   * Runs one command inside the sandbox, as a reader's shell would (same namespaces, root there),
   * without a terminal, and collects its output: the runner's own look inside (the network view).
   * Rejects only when it could not be run at all.
   */
  exec(argv: string[], options: ExecOptions): Promise<ExecResult>;
  /**
   * What the sandbox holds in memory now, in bytes (its cgroup's count: the workshop board shows
   * it); null when that cannot be told (the host provider, a sandbox without a fence).
   */
  memoryBytes(): Promise<number | null>;
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
