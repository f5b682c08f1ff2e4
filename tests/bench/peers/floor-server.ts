/**
 * The floor: what a page and a loopback WebSocket cost with no pty and no terminal emulator. A tiny
 * HTTP + ws server (a child process of the benchmark, so its work is not the benchmark's) that
 * serves one page, greets it with a prompt, echoes whatever the page sends, and answers a line
 * holding the bulk command with the very bytes `seq 1 2000000` prints through a pty, then a marker.
 * It tells its parent its port over IPC. Run only by ./floor.ts.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { BULK_COMMAND, bulkOutput } from './bulk-output.ts';
/** Each frame carries this many characters, about what one pty read hands a runner. */
const CHUNK_CHARS = 64 * 1024;
/** Stop queuing frames while the socket holds this much unsent. */
const HIGH_BUFFERED_BYTES = 1024 * 1024;
const PROMPT = '# ';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>floor</title></head>
<body><pre id="out"></pre>
<script>
  const socket = new WebSocket('ws://' + location.host + '/ws');
  // What the benchmark types as a command line; keys are sent one by one below.
  window.__benchSend = (text) => socket.send(text);
  socket.addEventListener('message', (event) => window.__benchProbe?.feed(event.data));
  document.addEventListener('keydown', (event) => {
    if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) socket.send(event.key);
  });
</script>
</body></html>`;

function sendBulk(socket: WebSocket, output: string): void {
  let at = 0;
  const pump = (): void => {
    while (at < output.length && socket.readyState === socket.OPEN) {
      socket.send(output.slice(at, at + CHUNK_CHARS));
      at += CHUNK_CHARS;
      if (socket.bufferedAmount > HIGH_BUFFERED_BYTES) {
        setTimeout(pump, 1); // ws has no drain event of its own; poll the buffer
        return;
      }
    }
    if (socket.readyState === socket.OPEN) socket.send(`DONE-2\r\n${PROMPT}`);
  };
  pump();
}

const output = bulkOutput();
const http = createServer((request, response) => {
  if (request.url === '/' || request.url?.startsWith('/?')) {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(PAGE);
    return;
  }
  response.writeHead(404).end();
});
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.send(PROMPT);
  socket.on('message', (data) => {
    const text = data.toString();
    if (text.includes(BULK_COMMAND)) {
      socket.send(text.replace(/\r$/, '\r\n'));
      sendBulk(socket, output);
    } else {
      socket.send(text);
    }
  });
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  http.close(() => process.exit(0));
});
