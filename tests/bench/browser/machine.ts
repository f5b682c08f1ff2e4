/** The machine and the versions a run used, for the head of RESULTS.md. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { docker } from '../../support/engine.ts';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  node: string;
  dockerEngine: string;
  xterm: string;
  playwright: string;
}

function packageVersion(name: string): string {
  const url = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

export async function describeMachine(): Promise<Machine> {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    dockerEngine: (await docker.version()).Version,
    xterm: packageVersion('@xterm/xterm'),
    playwright: packageVersion('playwright-core'),
  };
}

/** `uptime`'s line: load averages over 1, 5 and 15 minutes. */
export function load(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`; // no uptime binary
  }
}
