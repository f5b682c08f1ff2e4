/**
 * What the page's Run buttons need of a terminal (src/blocks/page/block-run.ts), and nothing more:
 * type into it, read what it prints and where its shell's marks are, know whether it can run.
 * Types only: the eager scripts may import it without pulling in xterm or the protocol.
 */
import type { ShellMark } from '../protocol/shell-marks.ts';

/**
 * - `connecting`: on its way: loading, preparing the sandbox, reconnecting, or live but its shell
 *   has not shown a prompt yet
 * - `live`: attached, and its shell has shown a prompt at least once
 * - `gone`: ended (its shell exited, the session ended) or failed; typing reaches nobody
 */
export type TerminalCondition = 'connecting' | 'live' | 'gone';

/**
 * Output as the terminal parsed it. `data` is its text (decoded as a stream: a character split
 * across frames comes with the frame that completes it); `seq` and `end` are the byte offsets of
 * the frame in the terminal's whole output.
 */
export interface TerminalOutput {
  data: string;
  seq: number;
  end: number;
  /** The shell marks in the frame (their `at` offsets are byte offsets, as `seq`). */
  marks: readonly ShellMark[];
}

export interface BlockTerminal {
  readonly name: string;
  readonly condition: TerminalCondition;
  /**
   * Changes when the shell behind the terminal is replaced (a reset, a new session, a second
   * terminal opened again after its shell exited): a block typed into the old one will not end.
   */
  readonly generation: number;
  /** The lab shell shows its prompt and waits for a command line (its newest mark is command-start). */
  readonly atShellPrompt: boolean;
  /** Keystrokes or pasted text, as the shell should receive them. */
  input(data: string): void;
  /** Output from now on, in order, once the terminal parsed it. Returns the unsubscribe function. */
  onOutput(listener: (output: TerminalOutput) => void): () => void;
  /** Called whenever `condition` or `atShellPrompt` may have changed. */
  onChange(listener: () => void): () => void;
}
