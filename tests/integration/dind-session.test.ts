/**
 * A reader's session on the real engine, in a dind sandbox of its own: a command's output is seen,
 * its exit status is known from the shell's marks, and when the session ends nothing is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectTo } from '../support/lab-client.ts';
import { startRunner } from '../support/runner-process.ts';
import { footprint, sandboxNetworkExists, settlesTo } from '../support/engine.ts';

test('a session creates a network in its sandbox, sees it, and leaves nothing behind', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  // Taken once the runner is up: its start-up sweep has removed what earlier runners left.
  let before: Awaited<ReturnType<typeof footprint>> | undefined;
  try {
    before = await footprint();
    assert.deepEqual(before.sandboxes, [], 'no sandbox before the first reader');
    const client = await connectTo(runner);
    client.hello();
    const welcome = await client.message('welcome');
    assert.equal(welcome.provider, 'dind');
    assert.equal(welcome.resumed, false);

    const ipAddr = await client.run('ip addr show docker0');
    assert.equal(ipAddr.exitCode, 0);
    assert.match(ipAddr.output, /inet 172\.18\.0\.1\/16/, 'the sandbox has its own docker0, as in the tutorial');

    const created = await client.run('docker network create labtest-net && docker network ls');
    assert.equal(created.exitCode, 0, created.output);
    assert.match(created.output, /labtest-net\s+bridge\s+local/);
    assert.match(created.output, /\bbridge\s+bridge\s+local/);

    const failed = await client.run('docker network inspect no-such-net');
    assert.equal(failed.exitCode, 1, 'a failing command reports its status');

    const during = await footprint();
    assert.equal(during.sandboxes.length, 1, 'one sandbox for one session');
    assert.ok(!during.networks.includes('labtest-net'), "the reader's network lives in the sandbox's engine, not the host's");

    client.send({ type: 'reset' });
    const ended = await client.message('ended');
    assert.equal(ended.reason, 'reset');
    assert.equal((await client.closed).code, 4410);

    assert.deepEqual(await settlesTo(before), before, 'no container, network or volume left while the runner runs');
  } finally {
    // Stopped whatever failed above: a runner left up would hold the test until its timeout.
    await runner.stop();
  }
  assert.deepEqual(await settlesTo(before), before);
  assert.equal(await sandboxNetworkExists(), false, 'and the runner removes its network when it stops');
});
