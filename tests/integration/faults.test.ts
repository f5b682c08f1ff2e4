/** Plain answers when the lab cannot serve: no engine, no room. The runner stays up for the next reader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectTo } from '../support/lab-client.ts';
import { startRunner } from '../support/runner-process.ts';

test('with no Docker engine the reader is told so, with close 4502, and the runner stays up', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  try {
    assert.match(runner.logs(), /The Docker engine does not answer at unix:\/\/\/nonexistent\/docker\.sock/, 'the console says so at start');
    for (let attempt = 0; attempt < 2; attempt++) {
      const client = await connectTo(runner);
      client.hello();
      const error = await client.message('error');
      assert.equal(error.code, 'engine-unavailable');
      assert.match(error.message, /^The Docker engine does not answer at unix:\/\/\/nonexistent\/docker\.sock .*Start it/);
      assert.equal((await client.closed).code, 4502);
    }
  } finally {
    assert.equal(await runner.stop(), 0, 'the runner was still up and stopped cleanly');
  }
});

test('at capacity a new reader gets a clear message and close 4503; the first keeps working', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'host', LAB_MAX_SESSIONS: '1' });
  try {
    const first = await connectTo(runner);
    first.hello();
    await first.message('welcome');
    const second = await connectTo(runner);
    second.hello();
    const error = await second.message('error');
    assert.equal(error.code, 'capacity');
    assert.match(error.message, /The lab is full/);
    assert.equal((await second.closed).code, 4503);
    const still = await first.run('echo first-still-here');
    assert.match(still.output, /first-still-here/);
    await first.close();
  } finally {
    await runner.stop();
  }
});

test('a second terminal joins the same sandbox; resuming an unknown session is refused with 4404', async () => {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' });
  try {
    const main = await connectTo(runner);
    main.hello();
    const { sessionId } = await main.message('welcome');
    assert.equal((await main.run('docker run -d --name web tomcat >/dev/null && echo started')).exitCode, 0);

    const second = await connectTo(runner);
    second.hello({ sessionId, terminal: 'second' });
    const welcome = await second.message('welcome');
    assert.equal(welcome.terminal, 'second');
    assert.equal(welcome.resumed, true);
    const seen = await second.run("docker ps --format '{{.Names}}'");
    assert.match(seen.output, /^web\r?$/m, 'the second terminal sees the container the first one started');

    const stranger = await connectTo(runner);
    stranger.hello({ sessionId: 'x'.repeat(24) });
    assert.equal((await stranger.message('error')).code, 'session-unknown');
    assert.equal((await stranger.closed).code, 4404);

    main.send({ type: 'input', data: 'exit 3\r' });
    const ended = await main.message('ended');
    assert.deepEqual([ended.reason, ended.exitCode], ['exit', 3], 'the main shell ending ends the session');
    assert.equal((await second.message('ended')).reason, 'exit', 'and every terminal of it');
  } finally {
    await runner.stop();
  }
});
