/** Order statistics and the units the capacity report prints. */

/** Nearest-rank percentile (p in 0..100) of the numbers; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const median = (values: readonly number[]) => percentile(values, 50);
export const max = (values: readonly number[]) => (values.length ? Math.max(...values) : Number.NaN);

const missing = (x: number) => !Number.isFinite(x);

export const ms = (x: number) => (missing(x) ? '–' : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`);
export const seconds = (x: number) => (missing(x) ? '–' : `${(x / 1000).toFixed(1)} s`);
export const mib = (bytes: number) => (missing(bytes) ? '–' : `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`);
export const gib = (bytes: number) => (missing(bytes) ? '–' : `${(bytes / 1024 ** 3).toFixed(1)} GiB`);
export const percent = (share: number) => (missing(share) ? '–' : `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`);
