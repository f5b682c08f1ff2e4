/**
 * The board's socket (src/workshop/board/board-socket.ts) against a small local server that
 * plays the runner's part (ws, on loopback): the facilitator token as a subprotocol, `board-hello`
 * first, boards handed on, a dropped socket reconnected; a refused upgrade asks the export
 * endpoint and, on 401 or 403, stops as `refused` instead of retrying. Node's own WebSocket and
 * fetch stand in for the browser's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { BoardSocket, facilitatorEndpoints, type BoardConnectionState } from '../../src/workshop/board/board-socket.ts';
import type { FacilitatorServerMessage } from '../../src/protocol/workshop.ts';
import { pollFor } from '../support/poll.ts';

const TOKEN = 'facilitator-token-0123456789abcdef';

interface FakeRunner {
  server: Server;
  host: string;
  sockets: ServerSocket[];
  received: string[];
  exportStatuses: number[];
  close(): Promise<void>;
}

async function fakeRunner(): Promise<FakeRunner> {
  const sockets: ServerSocket[] = [];
  const received: string[] = [];
  const exportStatuses: number[] = [];
  const server = createServer((req, res) => {
    const status = req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 403;
    exportStatuses.push(status);
    res.writeHead(status).end(status === 200 ? 'learner_id\n' : '');
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('lab.v1') ? 'lab.v1' : false) });
  server.on('upgrade', (req, socket, head) => {
    if (!String(req.headers['sec-websocket-protocol'] ?? '').split(/,\s*/).includes(`lab.token.${TOKEN}`)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (data) => received.push(String(data)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    host: `127.0.0.1:${port}`,
    sockets,
    received,
    exportStatuses,
    close: () => new Promise<void>((resolve) => {
      for (const ws of sockets) ws.terminate();
      server.close(() => resolve());
    }),
  };
}

function board(fake: FakeRunner, token: string) {
  const states: BoardConnectionState['kind'][] = [];
  const messages: FacilitatorServerMessage[] = [];
  const socket = new BoardSocket({
    ...facilitatorEndpoints('', { protocol: 'http:', host: fake.host }),
    token: () => token,
    onState: (state) => states.push(state.kind),
    onMessage: (message) => messages.push(message),
  });
  return { socket, states, messages };
}

const BOARD: FacilitatorServerMessage = {
  type: 'board',
  now: 1_000,
  workshop: { id: 'w1', name: 'Room 3', startedAt: 0, endsAt: 10_000, endedAt: null, capacity: 30, stuckAfterMinutes: 10 },
  learners: [],
  queue: [],
  broadcasts: [],
};

test('the board says hello first, hands on each board, and reconnects after a drop', async () => {
  const fake = await fakeRunner();
  const { socket, states, messages } = board(fake, TOKEN);
  try {
    socket.connect();
    await pollFor(() => fake.received.length, (n) => n >= 1);
    assert.deepEqual(fake.received.map((f) => JSON.parse(f)), [{ type: 'board-hello', v: 1 }]);
    fake.sockets[0]!.send(JSON.stringify(BOARD));
    fake.sockets[0]!.send('{"type":"nonsense"}'); // not a message of this protocol: dropped, not handed on
    await pollFor(() => messages.length, (n) => n >= 1);
    assert.equal(messages[0]?.type, 'board');
    assert.ok(socket.send({ type: 'broadcast', text: 'Break' }));
    await pollFor(() => fake.received.length, (n) => n >= 2);
    assert.deepEqual(JSON.parse(fake.received[1]!), { type: 'broadcast', text: 'Break' });

    fake.sockets[0]!.close(1001);
    await pollFor(() => fake.sockets.length, (n) => n >= 2, { timeoutMs: 5_000 });
    await pollFor(() => fake.received.length, (n) => n >= 3);
    assert.deepEqual(JSON.parse(fake.received[2]!), { type: 'board-hello', v: 1 }, 'a new socket says hello again');
    assert.deepEqual(states.slice(0, 4), ['connecting', 'live', 'reconnecting', 'connecting']);
    assert.deepEqual(fake.exportStatuses, [], 'a socket that was let in is not a refusal: no probe');
    assert.equal(messages.length, 1);
  } finally {
    socket.dispose();
    await fake.close();
  }
});

test('a refused token is asked about once at the export endpoint, then the board stops as refused', async () => {
  const fake = await fakeRunner();
  const { socket, states } = board(fake, 'join-token-not-the-facilitators');
  try {
    socket.connect();
    await pollFor(() => states.at(-1), (kind) => kind === 'refused', { timeoutMs: 5_000 });
    assert.deepEqual(states, ['connecting', 'refused']);
    assert.deepEqual(fake.exportStatuses, [403]);
    assert.equal(socket.send({ type: 'end-workshop' }), false, 'nothing is sent without a socket');
  } finally {
    socket.dispose();
    await fake.close();
  }
});

test('no runner there: the board keeps trying, further apart', async () => {
  const fake = await fakeRunner();
  await fake.close(); // the port is free again: nothing answers
  const { socket, states } = board(fake, TOKEN);
  try {
    socket.connect();
    await pollFor(() => states.filter((s) => s === 'reconnecting').length, (n) => n >= 2, { timeoutMs: 5_000 });
    assert.deepEqual(states.slice(0, 4), ['connecting', 'reconnecting', 'connecting', 'reconnecting']);
    assert.ok(!states.includes('refused'));
  } finally {
    socket.dispose();
  }
});
