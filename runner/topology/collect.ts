/**
 * One collection: the collector (collector.pl, sent as the program of `perl -e`) runs inside the
 * sandbox in one exec, and its output becomes a snapshot. Failures are TopologyErrors whose message
 * the panel shows as it is.
 */
import { readFileSync } from 'node:fs';
import type { Sandbox } from '../sandbox/provider.ts';
import type { TopologySnapshot } from '../../src/protocol/topology.ts';
import { buildSnapshot, parseCollectorOutput, TopologyError, type CollectorOutput } from './model.ts';

/** The collector's program text, read once. */
export const COLLECTOR_SCRIPT = readFileSync(new URL('./collector.pl', import.meta.url), 'utf8');

/** A collection that takes longer is given up (the sandbox is overloaded, or stuck). */
export const COLLECT_TIMEOUT_MS = 5_000;

/** Runs the collector and returns its raw output, parsed (the fixtures keep this form). */
export async function collectRaw(sandbox: Sandbox, timeoutMs = COLLECT_TIMEOUT_MS): Promise<{ stdout: string; output: CollectorOutput }> {
  let result;
  try {
    result = await sandbox.exec(['perl', '-e', COLLECTOR_SCRIPT], { timeoutMs });
  } catch (error) {
    throw new TopologyError(`The network could not be read: ${(error as Error).message}`);
  }
  if (result.code === null) throw new TopologyError(`Reading the network took longer than ${timeoutMs / 1000} s and was stopped.`);
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n').pop() || `the collector exited with status ${result.code}`;
    throw new TopologyError(`The network could not be read: ${why}`);
  }
  return { stdout: result.stdout, output: parseCollectorOutput(result.stdout) };
}

/** One snapshot of the sandbox's network. */
export async function collectSnapshot(sandbox: Sandbox, timeoutMs = COLLECT_TIMEOUT_MS): Promise<TopologySnapshot> {
  const takenAt = Date.now();
  const { output } = await collectRaw(sandbox, timeoutMs);
  return buildSnapshot(output, takenAt);
}
