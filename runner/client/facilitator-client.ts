/**
 * A client of the facilitator's socket (FACILITATOR_WS_PATH), as the board page drives it: one
 * socket is either a board (`board-hello`: the latest `board`, broadcast, end, rotate) or a
 * mirror of one learner's terminal (`mirror-hello`: the `mirror` message, then the terminal's
 * output as binary frames, read-only). The integration tests, the e2e and the bench use it.
 */
import WebSocket from 'ws';
import {
  decodeFacilitatorServerMessage,
  encode,
  FACILITATOR_WS_PATH,
  MAIN_TERMINAL,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type BoardMessage,
  type FacilitatorClientMessage,
  type FacilitatorServerMessage,
} from '../../src/protocol/wire.ts';

export interface FacilitatorConnectOptions {
  token: string;
  origin: string;
}

/** The facilitator socket's address on a runner at `httpUrl` (http://host:port). */
export function facilitatorUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}${FACILITATOR_WS_PATH}`;
}

export class FacilitatorClient {
  readonly #socket: WebSocket;
  /** Every JSON message received, oldest first. */
  readonly messages: FacilitatorServerMessage[] = [];
  /** The latest board, and when it arrived (performance.now()). */
  board: BoardMessage | null = null;
  boardAt = 0;
  /** A mirror's output as text (one streaming decoder), and the offset just past its last byte. */
  output = '';
  offset = 0;
  /** Output frames that did not start where the one before ended. */
  outOfSequence = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #decoder = new TextDecoder('utf-8');
  readonly #waiters = new Set<() => void>();
  readonly #boardListeners = new Set<(board: BoardMessage, at: number) => void>();
  #expected: number | null = null;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#wake();
      }),
    );
    socket.on('message', (data: Buffer, isBinary: boolean) => this.#receive(isBinary ? data : data.toString('utf8')));
  }

  /** Opens a socket; rejects with the HTTP status (`status`) when the upgrade is refused. */
  static connect(url: string, options: FacilitatorConnectOptions): Promise<FacilitatorClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + options.token], { origin: options.origin });
      socket.once('open', () => resolve(new FacilitatorClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      socket.once('error', reject);
    });
  }

  get socket(): WebSocket {
    return this.#socket;
  }

  send(message: FacilitatorClientMessage): void {
    this.#socket.send(encode(message));
  }

  /** A frame as given, valid or not (for tests of what the runner refuses). */
  sendRaw(frame: string): void {
    this.#socket.send(frame);
  }

  boardHello(): void {
    this.send({ type: 'board-hello', v: PROTOCOL_VERSION });
  }

  mirrorHello(learner: string, terminal: string = MAIN_TERMINAL): void {
    this.send({ type: 'mirror-hello', v: PROTOCOL_VERSION, learner, terminal });
  }

  broadcast(text: string): void {
    this.send({ type: 'broadcast', text });
  }

  endWorkshop(): void {
    this.send({ type: 'end-workshop' });
  }

  /** Asks for a new token and resolves with it. */
  async rotate(which: 'join' | 'facilitator', timeoutMs = 10_000): Promise<string> {
    const before = this.messages.length;
    this.send({ type: 'rotate-token', which });
    const answer = await this.#find((m, i) => i >= before && m.type === 'tokens' && m.which === which, timeoutMs, `a new ${which} token`);
    return (answer as Extract<FacilitatorServerMessage, { type: 'tokens' }>).token;
  }

  /** Calls `listener` with each board as it arrives; returns the function that stops it. */
  onBoard(listener: (board: BoardMessage, at: number) => void): () => void {
    this.#boardListeners.add(listener);
    return () => this.#boardListeners.delete(listener);
  }

  /** Resolves with the latest board once one that `matches` has arrived (the latest counts too). */
  async waitForBoard(matches: (board: BoardMessage) => boolean, timeoutMs = 30_000): Promise<BoardMessage> {
    await this.until(() => this.board !== null && matches(this.board), timeoutMs, 'a board that matches');
    return this.board as BoardMessage;
  }

  /** Resolves with the first message of `type` (already received or still to come). */
  async message<T extends FacilitatorServerMessage['type']>(type: T, timeoutMs = 30_000): Promise<Extract<FacilitatorServerMessage, { type: T }>> {
    return (await this.#find((m) => m.type === type, timeoutMs, `a ${type} message`)) as Extract<FacilitatorServerMessage, { type: T }>;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    await this.until(() => pattern.test(this.output), timeoutMs, `mirrored output matching ${pattern}`);
    return this.output.match(pattern) as RegExpMatchArray;
  }

  async #find(test: (message: FacilitatorServerMessage, index: number) => boolean, timeoutMs: number, what: string): Promise<FacilitatorServerMessage> {
    await this.until(() => this.messages.some(test), timeoutMs, what);
    return this.messages.find(test) as FacilitatorServerMessage;
  }

  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) {
          done();
          resolve();
        } else if (this.#socket.readyState === WebSocket.CLOSED) {
          done();
          reject(new Error(`socket closed while waiting for ${what}; messages: ${JSON.stringify(this.messages.map((m) => (m.type === 'board' ? { type: 'board' } : m)))}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const timer = setTimeout(() => {
        done();
        reject(Object.assign(new Error(`timed out waiting for ${what}; latest board: ${JSON.stringify(this.board)}; output tail: ${JSON.stringify(this.output.slice(-300))}`), { code: 'TIMEOUT' }));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #receive(frame: string | Buffer): void {
    const decoded = decodeFacilitatorServerMessage(frame);
    if (!decoded.ok) throw new Error(`runner sent an invalid frame: ${decoded.code} ${decoded.detail}`);
    const message = decoded.message;
    if (message.type === 'output') {
      if (this.#expected !== null && message.seq !== this.#expected) this.outOfSequence += 1;
      this.#expected = message.seq + message.data.length;
      this.output += this.#decoder.decode(message.data, { stream: true });
      this.offset = this.#expected;
    } else {
      this.messages.push(message);
      if (message.type === 'mirror') this.#expected = message.seq;
      if (message.type === 'board') {
        this.board = message;
        this.boardAt = performance.now();
        for (const listener of this.#boardListeners) listener(message, this.boardAt);
      }
    }
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  close(): Promise<{ code: number; reason: string }> {
    this.#socket.close();
    return this.closed;
  }
}
