/**
 * One collection's failures, as the panel words them (runner/topology/collect.ts), with a sandbox
 * whose exec answers as the test says. The real exec, on a real sandbox, is in
 * tests/integration/topology.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { collectSnapshot, COLLECTOR_SCRIPT } from '../../runner/topology/collect.ts';
import type { ExecResult, Sandbox } from '../../runner/sandbox/provider.ts';

function sandboxAnswering(answer: () => Promise<ExecResult>): Sandbox & { argv: string[][] } {
  const argv: string[][] = [];
  return {
    name: 'test',
    argv,
    shell: () => ({ file: 'true', args: [], env: {} }),
    alive: async () => true,
    memoryBytes: async () => null,
    dispose: async () => {},
    exec: (command) => {
      argv.push(command);
      return answer();
    },
  };
}

test('the collector runs as perl -e in one exec, and its output becomes a snapshot', async () => {
  const stdout = readFileSync(new URL('../fixtures/topology/02-tomcat01-tomcat02.raw.json', import.meta.url), 'utf8');
  const sandbox = sandboxAnswering(async () => ({ stdout, stderr: '', code: 0 }));
  const snapshot = await collectSnapshot(sandbox);
  assert.deepEqual(sandbox.argv, [['perl', '-e', COLLECTOR_SCRIPT]]);
  assert.deepEqual(snapshot.containers.map((c) => c.name), ['tomcat01', 'tomcat02']);
});

test('a collector that fails, times out, or cannot be run is a plain sentence', async () => {
  const cases: [() => Promise<ExecResult>, RegExp][] = [
    [async () => ({ stdout: '', stderr: "the sandbox's Docker engine does not answer at /var/run/docker.sock: No such file or directory\n", code: 2 }), /^The network could not be read: the sandbox's Docker engine does not answer at \/var\/run\/docker\.sock: No such file or directory$/],
    [async () => ({ stdout: '', stderr: '', code: null }), /^Reading the network took longer than 5 s and was stopped\.$/],
    [async () => ({ stdout: '', stderr: '', code: 127 }), /^The network could not be read: the collector exited with status 127$/],
    [() => Promise.reject(new Error('The sandbox is gone.')), /^The network could not be read: The sandbox is gone\.$/],
    [async () => ({ stdout: 'half a docu', stderr: '', code: 0 }), /^The network collector printed something that is not JSON/],
  ];
  for (const [answer, message] of cases) {
    await assert.rejects(collectSnapshot(sandboxAnswering(answer)), { name: 'TopologyError', message });
  }
});
