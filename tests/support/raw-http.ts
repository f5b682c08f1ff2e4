/**
 * HTTP written byte by byte on a TCP socket, for requests a well-behaved client library will not
 * send: an upgrade without an Origin, a Host that is not the runner's, two thousand headers.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, WS_PATH } from '../../src/protocol/wire.ts';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: string;
}

/** A peer that has not answered by then will not. */
const RESPONSE_TIMEOUT_MS = 10_000;

/**
 * Sends `request` as is and resolves with the response head (and body, when the runner sends one
 * and closes or says its length). A 101 resolves at once; the socket is then dropped.
 */
export function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let head: { status: number; headers: Map<string, string>; bodyStart: number } | null = null;
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const timer = setTimeout(() => finish(new Error(`no complete response within ${RESPONSE_TIMEOUT_MS} ms; got ${JSON.stringify(received.toString('latin1').slice(0, 200))}`)), RESPONSE_TIMEOUT_MS);
    const finish = (outcome: RawResponse | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const response = (): RawResponse | null => {
      if (!head) return null;
      return { status: head.status, headers: head.headers, body: received.subarray(head.bodyStart).toString('utf8') };
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        head ??= parseHead(received);
      } catch (error) {
        return finish(error as Error);
      }
      if (!head) return;
      const length = head.headers.get('content-length');
      const bodyComplete = length !== undefined && received.length - head.bodyStart >= Number(length);
      if (head.status === 101 || bodyComplete) finish(response() as RawResponse);
    });
    // The runner may close (or reset) as soon as it has answered; what it answered still counts.
    const ended = (error?: Error) => finish(response() ?? error ?? new Error(`connection closed before a response; got ${JSON.stringify(received.toString('latin1').slice(0, 200))}`));
    socket.on('end', () => ended());
    socket.on('close', () => ended());
    socket.on('error', (error) => ended(error));
  });
}

function parseHead(received: Buffer): { status: number; headers: Map<string, string>; bodyStart: number } | null {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(status[1]), headers, bodyStart: end + 4 };
}

export interface UpgradeOptions {
  port: number;
  path?: string;
  /** Header values; null leaves the header out. Host defaults to 127.0.0.1:<port>, Origin to http://<that>. */
  host?: string | null;
  origin?: string | null;
  /** Offered as the `lab.token.<token>` subprotocol next to `lab.v1`; null offers `lab.v1` alone. */
  token: string | null;
  extraHeaders?: readonly string[];
}

/** The bytes of a WebSocket upgrade request as a browser page would send it, with the given changes. */
export function upgradeRequest(options: UpgradeOptions): string {
  const host = options.host === undefined ? `127.0.0.1:${options.port}` : options.host;
  const origin = options.origin === undefined ? `http://127.0.0.1:${options.port}` : options.origin;
  const protocols = options.token === null ? SUBPROTOCOL : `${SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${options.token}`;
  const lines = [
    `GET ${options.path ?? WS_PATH} HTTP/1.1`,
    ...(host === null ? [] : [`Host: ${host}`]),
    ...(origin === null ? [] : [`Origin: ${origin}`]),
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    `Sec-WebSocket-Protocol: ${protocols}`,
    ...(options.extraHeaders ?? []),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The status the runner answers an upgrade with: 101 when it lets it in. */
export async function upgradeStatus(options: UpgradeOptions): Promise<number> {
  return (await rawRequest(options.port, upgradeRequest(options))).status;
}

/** `count` headers `X-h-<n>: v`, for requests that carry far more headers than any browser sends. */
export function manyHeaders(count: number): string[] {
  return Array.from({ length: count }, (_, n) => `X-h-${n}: v`);
}
