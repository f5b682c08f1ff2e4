/**
 * Hard to break: every bad input gets its documented answer (an HTTP status at the upgrade, an
 * `error` message and a close code on the socket), the runner stays up, and a reader in another
 * session, typing all along, loses nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { EchoProbe, whileEchoing } from '../support/echo-probe.ts';
import { connectTo, openSession, type LabClient } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { manyHeaders, rawRequest, upgradeRequest, upgradeStatus } from '../support/raw-http.ts';
import { encode, MAX_CLIENT_FRAME_BYTES, type ServerMessage } from '../../src/protocol/wire.ts';
import { RefusedUpgradeLimit } from '../../runner/server.ts';

/** A socket the runner refused is closed by then. */
const CLOSE_TIMEOUT_MS = 10_000;
const EARLIER_TOKEN = 'earlier-start-token-0123456789';

/** The runner answers its health check and its process has not exited. */
async function assertUp(runner: RunningRunner): Promise<void> {
  assert.equal(runner.process.exitCode, null, `the runner process is alive; its log:\n${runner.logs().slice(-2000)}`);
  assert.equal(runner.process.signalCode, null, 'the runner process is alive');
  const health = await rawRequest(runner.port, `GET /lab/health HTTP/1.1\r\nHost: 127.0.0.1:${runner.port}\r\nConnection: close\r\n\r\n`);
  assert.equal(health.status, 200);
  assert.equal((JSON.parse(health.body) as { ok: boolean }).ok, true);
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A new session's socket, past its welcome. */
const connectSession = (runner: RunningRunner) => openSession(runner, { shell: false });

/** What the client saw after sending its bad frame: the `error` messages and the close code. */
async function refusal(client: LabClient): Promise<{ errors: Extract<ServerMessage, { type: 'error' }>[]; code: number }> {
  const { code } = await within(client.closed, CLOSE_TIMEOUT_MS, 'close');
  return { errors: client.messages.filter((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error'), code };
}

let runner: RunningRunner;
let probe: EchoProbe;

before(async () => {
  // A page that still holds the token of an earlier start of the runner, on the same port.
  const earlier = await startRunner({ LAB_PROVIDER: 'host', LAB_TOKEN: EARLIER_TOKEN });
  const port = earlier.port;
  await earlier.stop();
  // Sockets refused after a hello leave sessions waiting for a reconnect; they need not wait long.
  runner = await startRunner({ LAB_PROVIDER: 'host', LAB_PORT: String(port), LAB_RECONNECT_GRACE: '1s' });
  probe = await EchoProbe.open(runner);
});

after(async () => {
  await probe?.close();
  assert.equal(await runner?.stop(), 0, 'the runner was still up and stopped cleanly');
});

// --- The upgrade: Origin, token, Host, headers ---------------------------------------------------

test('the right token from our own Origin is let in', () =>
  whileEchoing(probe, async () => {
    assert.equal(await upgradeStatus({ port: runner.port, token: runner.token }), 101);
    assert.equal(await upgradeStatus({ port: runner.port, token: runner.token, origin: `http://localhost:${runner.port}` }), 101);
    const client = await connectSession(runner);
    assert.match((await client.run('echo let-in')).output, /^let-in\r?$/m);
    await client.close();
  }));

test('a foreign Origin is refused with 403, lookalikes and a missing one too', () =>
  whileEchoing(probe, async () => {
    const origins = [
      'http://evil.test',
      `http://127.0.0.1.evil.test:${runner.port}`,
      `http://127.0.0.1:${runner.port + 1}`,
      `https://127.0.0.1:${runner.port}`,
      'null',
      null,
    ];
    for (const origin of origins) {
      assert.equal(await upgradeStatus({ port: runner.port, token: runner.token, origin }), 403, `Origin ${origin ?? '(none)'}`);
    }
    await assertUp(runner);
  }));

test('a missing, wrong or expired token is refused with 401', () =>
  whileEchoing(probe, async () => {
    const tokens: [string, string | null][] = [
      ['missing', null],
      ['empty', ''],
      ['wrong', 'wrong-token-0123456789abcdef'],
      ['a prefix of the right one', runner.token.slice(0, -1)],
      ["an earlier start's", EARLIER_TOKEN],
    ];
    for (const [what, token] of tokens) {
      assert.equal(await upgradeStatus({ port: runner.port, token }), 401, `${what} token`);
    }
    await assertUp(runner);
  }));

test('a Host header that is not ours (DNS rebinding) is refused with 421, even with the right Origin and token', () =>
  whileEchoing(probe, async () => {
    for (const host of ['rebind.evil.test', `rebind.evil.test:${runner.port}`, `127.0.0.1:${runner.port + 1}`, `127.0.0.1.evil.test:${runner.port}`]) {
      assert.equal(await upgradeStatus({ port: runner.port, token: runner.token, host }), 421, `Host ${host}`);
    }
    await assertUp(runner);
  }));

test('a request with 2000 headers is refused with 431, for a page and for the WebSocket', () =>
  whileEchoing(probe, async () => {
    // 2000 headers are over Node's own 16 KiB limit; 200 fit under it and meet the runner's count.
    for (const count of [2000, 200]) {
      const page = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${runner.port}\r\n${manyHeaders(count).join('\r\n')}\r\n\r\n`;
      assert.equal((await rawRequest(runner.port, page)).status, 431, `a page with ${count} headers`);
      const upgrade = upgradeRequest({ port: runner.port, token: runner.token, extraHeaders: manyHeaders(count) });
      assert.equal((await rawRequest(runner.port, upgrade)).status, 431, `the WebSocket with ${count} headers`);
    }
    await assertUp(runner);
  }));

// --- Frames --------------------------------------------------------------------------------------

interface BadFrame {
  name: string;
  data: string | Buffer;
  binary?: boolean;
  close: number;
  /** The `detail` of the bad-message error, when the runner sends one (4400). */
  error?: RegExp;
}

const FRAMES: BadFrame[] = [
  { name: 'invalid JSON', data: '{"type":"input"', close: 4400, error: /^not-json: / },
  { name: 'a binary frame', data: Buffer.from(encode({ type: 'input', data: 'id\r' })), binary: true, close: 4400, error: /^not-text: / },
  { name: 'invalid UTF-8 in a text frame', data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), binary: false, close: 1007 },
  { name: 'a frame over 64 KiB', data: encode({ type: 'input', data: 'x'.repeat(MAX_CLIENT_FRAME_BYTES) }), close: 1009 },
  { name: 'an unknown type', data: '{"type":"exec","command":"id"}', close: 4400, error: /^unknown-type: / },
  { name: 'JSON that is not an object', data: '["input","id"]', close: 4400, error: /^unknown-type: / },
  { name: 'input with a number for data', data: '{"type":"input","data":42}', close: 4400, error: /^invalid-fields: data: / },
  { name: 'ack with a string offset', data: '{"type":"ack","upTo":"10"}', close: 4400, error: /^invalid-fields: upTo: / },
  { name: 'a known type with an extra field (__proto__)', data: '{"type":"input","data":"id\\r","__proto__":{"admin":true}}', close: 4400, error: /^invalid-fields: / },
];

for (const frame of FRAMES) {
  for (const phase of ['as the first frame', 'after the hello'] as const) {
    test(`${frame.name}, ${phase}: close ${frame.close}`, () =>
      whileEchoing(probe, async () => {
        const client = phase === 'after the hello' ? await connectSession(runner) : await connectTo(runner);
        client.socket.send(frame.data, { binary: frame.binary ?? false });
        const { errors, code } = await refusal(client);
        if (frame.error) {
          assert.deepEqual(errors.map((e) => e.code), ['bad-message']);
          assert.match(errors[0]?.message ?? '', frame.error);
        }
        assert.equal(code, frame.close);
        await assertUp(runner);
      }));
  }
}

const BAD_RESIZES = [
  '{"type":"resize","cols":0,"rows":10}',
  '{"type":"resize","cols":-1,"rows":10}',
  '{"type":"resize","cols":65536,"rows":10}',
  '{"type":"resize","cols":80,"rows":0}',
  '{"type":"resize","cols":80,"rows":65536}',
  '{"type":"resize","cols":80.5,"rows":10}',
  '{"type":"resize","cols":1e400,"rows":10}',
  '{"type":"resize","cols":NaN,"rows":10}',
  '{"type":"resize","cols":null,"rows":10}',
  '{"type":"resize","cols":"80","rows":10}',
  '{"type":"resize","cols":80}',
];

test('a resize to an impossible size is refused with bad-message and close 4400', () =>
  whileEchoing(probe, async () => {
    for (const frame of BAD_RESIZES) {
      const client = await connectSession(runner);
      client.socket.send(frame);
      const { errors, code } = await refusal(client);
      assert.deepEqual(errors.map((e) => e.code), ['bad-message'], frame);
      assert.match(errors[0]?.message ?? '', frame.includes('NaN') ? /^not-json: / : /^invalid-fields: (cols|rows): /, frame);
      assert.equal(code, 4400, frame);
    }
    await assertUp(runner);
  }));

test('a hello with an impossible size or terminal name is refused with bad-message and close 4400', () =>
  whileEchoing(probe, async () => {
    const hellos = [
      '{"type":"hello","v":1,"terminal":"main","cols":0,"rows":30}',
      '{"type":"hello","v":1,"terminal":"main","cols":120,"rows":65536}',
      '{"type":"hello","v":1,"terminal":"main","cols":NaN,"rows":30}',
      '{"type":"hello","v":1,"terminal":"../main","cols":120,"rows":30}',
      '{"type":"hello","v":2,"terminal":"main","cols":120,"rows":30}',
    ];
    for (const hello of hellos) {
      const client = await connectTo(runner);
      client.socket.send(hello);
      const { errors, code } = await refusal(client);
      assert.deepEqual(errors.map((e) => e.code), ['bad-message'], hello);
      assert.equal(code, 4400, hello);
    }
    await assertUp(runner);
  }));

test('a valid message before the hello is refused with handshake-required and close 4400', () =>
  whileEchoing(probe, async () => {
    const client = await connectTo(runner);
    client.send({ type: 'input', data: 'id\r' });
    const { errors, code } = await refusal(client);
    assert.deepEqual(errors.map((e) => e.code), ['handshake-required']);
    assert.equal(code, 4400);
  }));

/** The moment a shell exits is a race; a few rounds catch it reliably. */
const EXIT_ROUNDS = 10;

test('resize and input right after the shell exited: ended (exit) and close 4410; the runner serves a new session', () =>
  whileEchoing(probe, async () => {
    for (let round = 1; round <= EXIT_ROUNDS; round++) {
      const client = await connectSession(runner);
      await client.run('true');
      client.type('exit\r');
      // Keep typing and resizing through the moment the shell goes away.
      const spam = setInterval(() => {
        if (client.socket.readyState !== WebSocket.OPEN) return;
        client.send({ type: 'resize', cols: 100, rows: 40 });
        client.send({ type: 'input', data: 'echo too-late\r' });
      }, 2);
      try {
        const { errors, code } = await refusal(client);
        const ended = client.messages.filter((m) => m.type === 'ended');
        assert.deepEqual({ ended, errors, code }, { ended: [{ type: 'ended', reason: 'exit', exitCode: 0 }], errors: [], code: 4410 }, `round ${round}`);
      } finally {
        clearInterval(spam);
      }
    }
    await assertUp(runner);
    const next = await connectSession(runner);
    assert.match((await next.run('echo next-session')).output, /^next-session\r?$/m);
    await next.close();
  }));

// --- Session ids ---------------------------------------------------------------------------------

test('resuming an unknown session is refused with session-unknown and close 4404', () =>
  whileEchoing(probe, async () => {
    const client = await connectTo(runner);
    client.hello({ sessionId: 'AbCdEfGhIjKlMnOpQrStUv' });
    const { errors, code } = await refusal(client);
    assert.deepEqual(errors.map((e) => e.code), ['session-unknown']);
    assert.equal(code, 4404);
  }));

test('a session id with ../ or a NUL is refused with bad-message and close 4400', () =>
  whileEchoing(probe, async () => {
    const ids = ['../../../../../etc/passwd-aaaaa', `${'a'.repeat(22)}/../b`, `${'a'.repeat(22)}\u0000`, '\u0000'.repeat(24), 'a'.repeat(65)];
    for (const sessionId of ids) {
      const client = await connectTo(runner);
      client.socket.send(JSON.stringify({ type: 'hello', v: 1, terminal: 'main', cols: 80, rows: 24, sessionId }));
      const { errors, code } = await refusal(client);
      assert.deepEqual(errors.map((e) => e.code), ['bad-message'], JSON.stringify(sessionId));
      assert.match(errors[0]?.message ?? '', /^invalid-fields: sessionId: /, JSON.stringify(sessionId));
      assert.equal(code, 4400, JSON.stringify(sessionId));
    }
    await assertUp(runner);
  }));

// --- Floods, on runners of their own so they lock nobody else out ---------------------------------

test('a flood of bad-token handshakes is rate-limited with 429 and Retry-After; a correct one gets in once that time has passed', async () => {
  const flooded = await startRunner({ LAB_PROVIDER: 'host' });
  const floodProbe = await EchoProbe.open(flooded);
  try {
    await whileEchoing(floodProbe, async () => {
      const TOTAL = 1000;
      const AT_ONCE = 50;
      const statuses = new Map<number, number>();
      const retryAfter: string[] = [];
      const midFlood: number[] = [];
      const started = performance.now();
      for (let batch = 0; batch < TOTAL / AT_ONCE; batch++) {
        const answers = await Promise.all(
          Array.from({ length: AT_ONCE }, () => rawRequest(flooded.port, upgradeRequest({ port: flooded.port, token: 'wrong-token-0123456789abcdef' }))),
        );
        for (const answer of answers) {
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status === 429) retryAfter.push(answer.headers.get('retry-after') ?? '(none)');
        }
        // Once the bucket is empty, even the right token is refused unchecked.
        if (batch % 5 === 4) midFlood.push(await upgradeStatus({ port: flooded.port, token: flooded.token }));
      }
      const elapsedSeconds = (performance.now() - started) / 1000;
      const unauthorized = statuses.get(401) ?? 0;
      const limited = statuses.get(429) ?? 0;
      assert.deepEqual([...statuses.keys()].filter((s) => s !== 401 && s !== 429), [], `only 401 and 429: ${JSON.stringify([...statuses])}`);
      const { points, windowSeconds } = RefusedUpgradeLimit;
      const windows = Math.ceil(elapsedSeconds / windowSeconds) + 1;
      assert.ok(unauthorized <= points * windows, `at most ${points} refusals per ${windowSeconds} s window were checked: ${unauthorized} 401s in ${elapsedSeconds.toFixed(1)} s`);
      assert.equal(unauthorized + limited, TOTAL);
      assert.ok(retryAfter.every((value) => /^[1-9]\d*$/.test(value)), `every 429 says when to retry: ${[...new Set(retryAfter)].join(', ')}`);
      assert.ok(midFlood.includes(429), `a correct handshake mid-flood was refused too: ${midFlood.join(', ')}`);
      await assertUp(flooded);

      // A client that waits as long as the runner said it should is let in.
      const wait = await rawRequest(flooded.port, upgradeRequest({ port: flooded.port, token: flooded.token }));
      const retrySeconds = wait.status === 429 ? Number(wait.headers.get('retry-after')) : 0;
      assert.ok(retrySeconds <= windowSeconds, `Retry-After ${retrySeconds} s is at most one window`);
      await sleep(retrySeconds * 1000 + 100);
      const later = await rawRequest(flooded.port, upgradeRequest({ port: flooded.port, token: flooded.token }));
      assert.equal(later.status, 101, `after Retry-After a correct handshake is let in`);
      const client = await connectSession(flooded);
      assert.match((await client.run('echo after-the-flood')).output, /^after-the-flood\r?$/m);
      await client.close();
    });
  } finally {
    await floodProbe.close();
    await flooded.stop();
  }
});

test('peers that reset the connection during a refused upgrade do not bring the runner down', async () => {
  const reset = await startRunner({ LAB_PROVIDER: 'host' });
  const resetProbe = await EchoProbe.open(reset);
  try {
    await whileEchoing(resetProbe, async () => {
      for (let i = 0; i < 50; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(reset.port, '127.0.0.1', () => {
            socket.write(upgradeRequest({ port: reset.port, token: reset.token, origin: 'http://evil.test' }));
            socket.resetAndDestroy();
            resolve();
          });
          socket.on('error', () => resolve());
        });
      }
      await assertUp(reset);
    });
  } finally {
    await resetProbe.close();
    assert.equal(await reset.stop(), 0, 'the runner was still up and stopped cleanly');
  }
});
