/** The upgrade is the gate: wrong token, foreign Origin and foreign Host are refused before any session exists. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { LabClient } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';

let runner: RunningRunner;
before(async () => {
  runner = await startRunner({ LAB_PROVIDER: 'host' });
});
after(async () => {
  await runner.stop();
});

async function statusOf(options: { token?: string; origin?: string }): Promise<number | 'open'> {
  try {
    const client = await LabClient.connect(runner.wsUrl, { token: options.token ?? runner.token, origin: options.origin ?? runner.origin });
    await client.close();
    return 'open';
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

test('the right token from our own Origin is let in', async () => {
  assert.equal(await statusOf({}), 'open');
  assert.equal(await statusOf({ origin: `http://localhost:${runner.port}` }), 'open');
});

test('a wrong token is refused with 401', async () => {
  assert.equal(await statusOf({ token: 'wrong-token-0123456789abcdef' }), 401);
  assert.equal(await statusOf({ token: runner.token.slice(0, -1) }), 401, 'a prefix of the token');
  assert.equal(await statusOf({ token: '' }), 401);
});

test('a foreign Origin is refused with 403, lookalikes too', async () => {
  for (const origin of ['http://evil.test', `http://127.0.0.1.evil.test:${runner.port}`, `http://127.0.0.1:${runner.port + 1}`, 'null', `https://127.0.0.1:${runner.port}`]) {
    assert.equal(await statusOf({ origin }), 403, origin);
  }
});

test('a Host header that is not ours (DNS rebinding) is refused with 421', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: runner.port,
      path: '/lab/ws',
      headers: {
        Host: 'rebind.evil.test',
        Origin: 'http://rebind.evil.test',
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol': `lab.v1, lab.token.${runner.token}`,
      },
    });
    req.on('response', (res) => resolve(res.statusCode ?? -1));
    req.on('upgrade', () => resolve(101));
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 421);
});

test('a malformed first frame is answered with bad-message and close 4400, and the runner stays up', async () => {
  const client = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
  client.socket.send('{"type":"hello"');
  const error = await client.message('error');
  assert.equal(error.code, 'bad-message');
  assert.match(error.message, /^not-json: /);
  assert.equal((await client.closed).code, 4400);
  assert.equal(await statusOf({}), 'open', 'the next reader still gets in');
});

test('peers that reset the connection during a refused upgrade do not bring the runner down', async () => {
  for (let i = 0; i < 50; i++) {
    await new Promise<void>((resolve) => {
      const socket = connect(runner.port, '127.0.0.1', () => {
        socket.write(
          `GET /lab/ws HTTP/1.1\r\nHost: 127.0.0.1:${runner.port}\r\nOrigin: http://evil.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
        socket.resetAndDestroy();
        resolve();
      });
      socket.on('error', () => resolve());
    });
  }
  assert.equal(runner.process.exitCode, null, 'the runner is still running');
  assert.equal(await statusOf({}), 'open', 'and still lets readers in');
});
