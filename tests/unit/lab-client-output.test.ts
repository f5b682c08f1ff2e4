/**
 * The Node client's reading of output frames (runner/client/lab-client.ts), against a real `ws`
 * server that plays the runner: bytes numbered in bytes, text decoded as one stream so a Chinese
 * character split at any byte comes out whole, and a frame that does not follow closes the socket
 * with the protocol's own code, after which the client resumes from the last byte it holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { LabClient } from '../../runner/client/lab-client.ts';
import { CloseCode, decodeClientMessage, encode, encodeOutputFrame, SUBPROTOCOL, type HelloMessage } from '../../src/protocol/wire.ts';

const TEXT = '网络实验室：你好，世界 ok\r\n';
const BYTES = new TextEncoder().encode(TEXT);
const SESSION = 's'.repeat(24);

/** A runner stand-in: `onHello` answers each hello on its socket. */
async function fakeRunner(onHello: (ws: WebSocket, hello: HelloMessage, nth: number) => void) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SUBPROTOCOL });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const closes: number[] = [];
  let hellos = 0;
  server.on('connection', (ws) => {
    ws.on('close', (code) => closes.push(code));
    ws.on('message', (data: Buffer) => {
      const decoded = decodeClientMessage(data.toString('utf8'));
      if (decoded.ok && decoded.message.type === 'hello') onHello(ws, decoded.message, hellos++);
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/lab/ws`;
  return { url, closes, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function welcome(ws: WebSocket, seq: number, terminal: string): void {
  ws.send(encode({ type: 'welcome', sessionId: SESSION, terminal, resumed: seq > 0, seq, truncated: false, provider: 'host', idleTimeout: null, expiresAt: null }));
}

test('Chinese text split at every byte position reads whole, and offsets count bytes', async () => {
  // The terminal name carries where this connection's output is cut in two frames.
  const runner = await fakeRunner((ws, hello) => {
    const cut = Number(hello.terminal.slice('cut-'.length));
    welcome(ws, 0, hello.terminal);
    ws.send(encodeOutputFrame(0, [BYTES.subarray(0, cut)]));
    ws.send(encodeOutputFrame(cut, [BYTES.subarray(cut)]));
  });
  try {
    for (let cut = 1; cut < BYTES.length; cut++) {
      const client = await LabClient.connect(runner.url, { token: 't', origin: 'http://127.0.0.1' });
      client.hello({ terminal: `cut-${cut}` });
      await client.until(() => client.offset === BYTES.length, 5_000, 'both frames');
      assert.equal(client.output, TEXT, `cut at byte ${cut}`);
      assert.equal(client.outOfSequence, 0);
      await client.close();
    }
  } finally {
    await runner.close();
  }
});

test('a frame that does not follow closes with 4416, and the client resumes from the byte it holds', async () => {
  const seen: { lastSeq: number | undefined; sessionId: string | undefined }[] = [];
  const runner = await fakeRunner((ws, hello, nth) => {
    seen.push({ lastSeq: hello.lastSeq, sessionId: hello.sessionId });
    if (nth === 0) {
      welcome(ws, 0, hello.terminal);
      ws.send(encodeOutputFrame(0, [BYTES.subarray(0, 4)])); // 网 and the first byte of 络
      ws.send(encodeOutputFrame(9, [BYTES.subarray(9)])); // bytes 4 to 8 never came: a gap
    } else {
      welcome(ws, hello.lastSeq ?? 0, hello.terminal);
      ws.send(encodeOutputFrame(hello.lastSeq ?? 0, [BYTES.subarray(hello.lastSeq ?? 0)]));
    }
  });
  try {
    const client = await LabClient.connect(runner.url, { token: 't', origin: 'http://127.0.0.1' });
    client.hello();
    await client.until(() => client.offset === BYTES.length, 5_000, 'the resumed output');
    assert.equal(client.outOfSequence, 1);
    assert.equal(runner.closes[0], CloseCode.outputOutOfSequence, 'the first socket was closed with the protocol error');
    assert.deepEqual(seen, [
      { lastSeq: undefined, sessionId: undefined },
      { lastSeq: 4, sessionId: SESSION },
    ]);
    assert.equal(client.output, TEXT, 'nothing lost or doubled, and the character cut by the gap is whole');
    await client.close();
  } finally {
    await runner.close();
  }
});

test('output before the welcome is out of sequence too', async () => {
  const runner = await fakeRunner((ws, hello, nth) => {
    if (nth === 0) ws.send(encodeOutputFrame(0, [BYTES]));
    else {
      welcome(ws, 0, hello.terminal);
      ws.send(encodeOutputFrame(0, [BYTES]));
    }
  });
  try {
    const client = await LabClient.connect(runner.url, { token: 't', origin: 'http://127.0.0.1' });
    client.hello();
    // The client holds no session yet: it cannot resume, and says so when it closes.
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.outputOutOfSequence);
    assert.equal(client.output, '');
  } finally {
    await runner.close();
  }
});
