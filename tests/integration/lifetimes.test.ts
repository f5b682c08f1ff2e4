/**
 * Sessions do not live forever, on the real runner: one left idle is ended (reason idle, close
 * 4410), one past its maximum lifetime is ended (max-age), and a culled dind sandbox is removed.
 * When each ends, to the millisecond, is the timing logic's business: tests/unit/session-timing.test.ts
 * checks it on fake timers. Here only what a reader sees and what must be left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxesOf } from '../support/engine.ts';
import { openSession } from '../support/lab-client.ts';
import { pollFor } from '../support/poll.ts';
import { rawRequest } from '../support/raw-http.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';

/** Generous bounds for things that must happen, never a speed goal. */
const END_TIMEOUT_MS = 30_000;

async function liveSessions(runner: RunningRunner): Promise<number> {
  const health = await rawRequest(runner.port, `GET /lab/health HTTP/1.1\r\nHost: 127.0.0.1:${runner.port}\r\nConnection: close\r\n\r\n`);
  return (JSON.parse(health.body) as { sessions: number }).sessions;
}

test('an idle session ends with reason idle and close 4410, and the runner holds no session after', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'host', LAB_IDLE_TIMEOUT: '2s' });
  try {
    const client = await openSession(runner);
    assert.equal(client.messages.find((m) => m.type === 'welcome')?.idleTimeout, 2, 'the welcome tells the idle limit');
    assert.equal(await liveSessions(runner), 1);

    assert.deepEqual(await client.message('ended', END_TIMEOUT_MS), { type: 'ended', reason: 'idle', exitCode: null });
    assert.equal((await client.closed).code, 4410);
    assert.equal(await liveSessions(runner), 0);
  } finally {
    await runner.stop();
  }
});

test('a session past LAB_MAX_LIFETIME ends with reason max-age and close 4410; its welcome said when', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'host', LAB_MAX_LIFETIME: '4s' });
  try {
    const client = await openSession(runner);
    const welcome = client.messages.find((m) => m.type === 'welcome');
    assert.equal(typeof welcome?.expiresAt, 'number', 'the welcome tells when the session expires');

    assert.deepEqual(await client.message('ended', END_TIMEOUT_MS), { type: 'ended', reason: 'max-age', exitCode: null });
    assert.equal((await client.closed).code, 4410);
    assert.equal(await liveSessions(runner), 0);
  } finally {
    await runner.stop();
  }
});

test('a dind session culled for idleness leaves no container behind', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind', LAB_IDLE_TIMEOUT: '5s' });
  try {
    const client = await openSession(runner);
    assert.equal((await client.run('docker version --format "{{.Server.Version}}" >/dev/null && echo engine-up', 30_000)).exitCode, 0);
    assert.equal((await sandboxesOf(runner.owner)).length, 1, 'the session has its sandbox container');

    const ended = await client.message('ended', END_TIMEOUT_MS);
    assert.equal(ended.reason, 'idle');
    assert.equal((await client.closed).code, 4410);

    const left = await pollFor(() => sandboxesOf(runner.owner), (names) => names.length === 0, { timeoutMs: 30_000 });
    assert.deepEqual(left, [], 'no sandbox container left while the runner still runs');
  } finally {
    await runner.stop();
  }
});
