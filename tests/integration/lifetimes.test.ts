/**
 * Sessions do not live forever: one left idle is ended after LAB_IDLE_TIMEOUT, one kept busy still
 * ends at LAB_MAX_LIFETIME (when its welcome said it would), and a culled sandbox is removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { docker } from '../support/engine.ts';
import { LabClient } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { LABEL } from '../../runner/docker.ts';

/** Generous bounds for things that must happen, never a speed goal. */
const ECHO_TIMEOUT_MS = 5_000;
const END_TIMEOUT_MS = 15_000;

async function newSession(runner: RunningRunner): Promise<{ client: LabClient; helloAt: number; helloWallClock: number }> {
  const client = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
  const helloAt = performance.now();
  const helloWallClock = Date.now();
  client.hello();
  await client.message('welcome', 60_000);
  return { client, helloAt, helloWallClock };
}

/** A reader who types a command every half second until told to stop (or until the session ends). */
function keepTyping(client: LabClient): { stop(): Promise<{ typed: number; echoed: number; lastEchoAt: number }> } {
  let stopping = false;
  let typed = 0;
  let echoed = 0;
  let lastEchoAt = 0;
  const loop = (async () => {
    while (!stopping && client.socket.readyState === WebSocket.OPEN) {
      const n = ++typed;
      const { output } = await client.run(`echo busy-${n}`, ECHO_TIMEOUT_MS).catch(() => ({ output: '' }));
      if (new RegExp(`^busy-${n}\\r?$`, 'm').test(output)) {
        echoed++;
        lastEchoAt = performance.now();
      }
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return { typed, echoed, lastEchoAt };
    },
  };
}

test('an idle session ends after LAB_IDLE_TIMEOUT with reason idle and close 4410; a busy one lives on', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'host', LAB_IDLE_TIMEOUT: '2s' });
  try {
    const idle = await newSession(runner);
    const busy = await newSession(runner);
    assert.equal(idle.client.messages.find((m) => m.type === 'welcome')?.idleTimeout, 2, 'the welcome tells the idle limit');
    const typing = keepTyping(busy.client);

    const ended = await idle.client.message('ended', END_TIMEOUT_MS);
    const endedAfterMs = performance.now() - idle.helloAt;
    assert.deepEqual(ended, { type: 'ended', reason: 'idle', exitCode: null });
    assert.equal((await idle.client.closed).code, 4410);
    assert.ok(endedAfterMs >= 1_500, `not before the idle time: ended ${endedAfterMs.toFixed(0)} ms after the hello`);

    // Past the idle time and then some, the reader who types is still there.
    await sleep(Math.max(0, busy.helloAt + 3_500 - performance.now()));
    const { typed, echoed, lastEchoAt } = await typing.stop();
    assert.equal(busy.client.messages.find((m) => m.type === 'ended'), undefined, 'the busy session did not end');
    assert.equal(echoed, typed, 'every command of the busy reader came back');
    assert.ok(lastEchoAt - busy.helloAt > 3_000, 'the busy session was still answering past 3 s');
    assert.match((await busy.client.run('echo still-here', ECHO_TIMEOUT_MS)).output, /^still-here\r?$/m);
    await busy.client.close();
  } finally {
    await runner.stop();
  }
});

test('a busy session still ends at LAB_MAX_LIFETIME, with reason max-age, when its welcome said', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'host', LAB_MAX_LIFETIME: '4s' });
  try {
    const { client, helloWallClock } = await newSession(runner);
    const welcome = await client.message('welcome');
    const expiresAt = welcome.expiresAt;
    assert.ok(expiresAt !== null, 'the welcome tells when the session expires');
    assert.ok(expiresAt >= helloWallClock + 4_000 - 50 && expiresAt <= helloWallClock + 5_000, `expiresAt is 4 s after the hello: ${expiresAt - helloWallClock} ms`);
    const typing = keepTyping(client);

    const ended = await client.message('ended', END_TIMEOUT_MS);
    const endedAt = Date.now();
    assert.deepEqual(ended, { type: 'ended', reason: 'max-age', exitCode: null });
    assert.equal((await client.closed).code, 4410);
    const { typed, echoed } = await typing.stop();
    assert.ok(echoed >= typed - 1 && echoed > 0, `the reader was typing until the end (${echoed} of ${typed} came back)`);
    assert.ok(endedAt >= expiresAt - 50, `not before expiresAt: ${endedAt - expiresAt} ms`);
    assert.ok(endedAt <= expiresAt + 2_000, `at expiresAt: ${endedAt - expiresAt} ms after it`);
  } finally {
    await runner.stop();
  }
});

test('a dind session culled for idleness leaves no container behind', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind', LAB_IDLE_TIMEOUT: '5s' });
  const sandboxes = () => docker.listContainers({ all: true, filters: { label: [LABEL.sandbox, `${LABEL.owner}=${runner.owner}`] } });
  try {
    const { client } = await newSession(runner);
    assert.equal((await client.run('docker version --format "{{.Server.Version}}" >/dev/null && echo engine-up', 30_000)).exitCode, 0);
    assert.equal((await sandboxes()).length, 1, 'the session has its sandbox container');

    const ended = await client.message('ended', END_TIMEOUT_MS);
    assert.equal(ended.reason, 'idle');
    assert.equal((await client.closed).code, 4410);

    const deadline = Date.now() + 30_000;
    let left = await sandboxes();
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(250);
      left = await sandboxes();
    }
    assert.deepEqual(left.map((c) => c.Names[0]), [], 'no sandbox container left while the runner still runs');
  } finally {
    await runner.stop();
  }
});
