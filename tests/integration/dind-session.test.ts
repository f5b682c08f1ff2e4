/**
 * A reader's session on the real engine, in a dind sandbox of its own: a command's output is seen,
 * its exit status is known from the shell's marks, and when the session ends nothing is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectTo } from '../support/lab-client.ts';
import { startRunner } from '../support/runner-process.ts';
import { footprint, sandboxNetworkExists, settlesTo } from '../support/engine.ts';
import { openSession } from '../support/sandbox-view.ts';

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

test("Ctrl-C reaches the sandbox shell's foreground job: `sleep 100` and `yes` end with status 130, and the shell's job control works", async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    const { client } = await openSession(runner);
    // The shell runs with job control on a terminal of its own (the pty is its controlling terminal).
    const monitor = await client.run('[[ $- == *m* ]] && tty -s && echo job-control-$((6*7))');
    assert.equal(monitor.exitCode, 0, monitor.output);
    assert.match(monitor.output, /^job-control-42\r?$/m);
    for (const command of ['sleep 100', 'yes']) {
      await client.run('true');
      const from = client.marks.length;
      client.type(`${command}\r`);
      await client.nextMark('command-executed', from, 30_000);
      if (command === 'yes') await client.waitForOutput(/(?:y\r?\n){3}/);
      client.interrupt();
      // Far less than sleep's 100 s; `yes` never ends on its own. The time it takes is the bench's.
      const finished = await client.nextMark('command-finished', from, 30_000);
      assert.equal(finished.exitCode, 130, `${command} ended by SIGINT`);
    }
    // A program that reads whole lines gets them as the reader typed them: Backspace erases the
    // whole character 络 (e7 bb 9c), so the line is 网 (e7 bd 91) alone, not 网 and two stray bytes.
    const before = client.marks.length;
    client.type('head -n 1 | od -An -tx1\r');
    await client.nextMark('command-executed', before, 30_000);
    client.type('网络\x7f\r');
    await client.nextMark('command-finished', before, 30_000);
    assert.match(client.output.slice(-200), /^ e7 bd 91 0a\r?$/m, 'the line the program read');
    const jobs = await client.run('sleep 100 & jobs; kill %1; wait; echo after-$((6*7))');
    assert.match(jobs.output, /\[1\]\+\s+Running\s+sleep 100 &/);
    assert.match(jobs.output, /^after-42\r?$/m);
    await client.close();
  } finally {
    await runner.stop();
  }
});
