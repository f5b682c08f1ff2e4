/**
 * The progress export: one row per recorded outcome (every attempt, oldest first). Quoting and the
 * formula guard are csv-stringify's: a cell that starts with = + - @ TAB or CR gets a leading `'`,
 * so a spreadsheet shows a name such as `=HYPERLINK(...)` as text instead of running it.
 * Everything else is as typed.
 */
import { stringify } from 'csv-stringify/sync';
import type { OutcomeKind } from '../../src/protocol/workshop.ts';

export const CSV_COLUMNS = ['learner_id', 'name', 'page', 'block', 'outcome', 'exit_code', 'at'] as const;

export interface CsvOutcome {
  learnerId: string;
  name: string;
  page: string;
  block: string;
  outcome: OutcomeKind;
  exitCode: number | null;
  /** ms since the epoch; written as ISO 8601 UTC. */
  at: number;
}

export function outcomesCsv(rows: readonly CsvOutcome[]): string {
  return stringify(
    rows.map((r) => [r.learnerId, r.name, r.page, r.block, r.outcome, r.exitCode, new Date(r.at).toISOString()]),
    // The byte order mark makes spreadsheet apps (Excel) read the file as UTF-8: Chinese names stay legible.
    { bom: true, header: true, columns: [...CSV_COLUMNS], escape_formulas: true },
  );
}
