/** The bulk command of the benchmark, and the exact bytes it prints through a pty. */
export const BULK_COMMAND = 'seq 1 2000000';
export const BULK_LINES = 2_000_000;

/** `seq 1 BULK_LINES` as a pty in its default mode hands it on: each \n turned into \r\n. */
export function bulkOutput(): string {
  const lines: string[] = new Array(BULK_LINES);
  for (let i = 0; i < BULK_LINES; i++) lines[i] = String(i + 1);
  return `${lines.join('\r\n')}\r\n`;
}
