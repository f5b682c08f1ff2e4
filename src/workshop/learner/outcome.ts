/**
 * How a block's run, as the page judged it (block-run.ts), is reported to the workshop: passed
 * (done, or the failure the page expects), failed, or stopped, with the shell's exit status when
 * the page knows it. No DOM: the unit tests call it.
 */
import type { BlockOutcome } from '../../blocks/page/block-run.ts';
import type { OutcomeKind } from '../../protocol/workshop.ts';

/** A block's run ended: the `lab-block-end` event's detail (block-controls.ts dispatches it). */
export interface BlockEnd {
  block: string;
  outcome: BlockOutcome;
  /** The block's expected exit status (`exit=`): what a passed block's shell returned when it is a number. */
  expectedExit: number | 'nonzero' | null;
}

export interface ReportedOutcome {
  outcome: OutcomeKind;
  /** 0-255, or null when the shell gave none (stopped, timed out, a program's prompt). */
  exitCode: number | null;
}

function status(code: number | null | undefined): number | null {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 255 ? code : null;
}

export function reportedOutcome(end: BlockEnd): ReportedOutcome {
  const { outcome } = end;
  switch (outcome.kind) {
    case 'done':
      return { outcome: 'passed', exitCode: status(typeof end.expectedExit === 'number' ? end.expectedExit : null) };
    case 'expected-failure':
      return { outcome: 'passed', exitCode: status(outcome.exitCode) };
    case 'stopped':
      return { outcome: 'stopped', exitCode: null };
    case 'failed':
      return { outcome: 'failed', exitCode: outcome.reason === 'exit' ? status(outcome.exitCode) : null };
  }
}
