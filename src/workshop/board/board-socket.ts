/**
 * The board's socket to the runner (FACILITATOR_WS_PATH): the facilitator token as a subprotocol,
 * `board-hello` first, then a `board` message at once and after every change. It reconnects with a
 * growing delay; when the upgrade is refused it asks the export endpoint, whose HTTP status a page
 * can read, whether the token is the reason (401, 403), and then stops: retrying a wrong or rotated
 * link cannot help. No DOM beyond WebSocket and fetch.
 */
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../../common/lifecycle.ts';
import {
  decodeFacilitatorServerMessage,
  encode,
  EXPORT_PATH,
  FACILITATOR_WS_PATH,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type FacilitatorClientMessage,
  type FacilitatorServerMessage,
} from '../../protocol/wire.ts';

export const BoardReconnect = {
  firstDelayMs: 500,
  /** A board stays open all day: it keeps trying, at most this far apart. */
  maxDelayMs: 10_000,
} as const;

export type BoardConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** `delayMs` until the next attempt. */
  | { kind: 'reconnecting'; delayMs: number }
  /** The runner refused the token (the link is wrong, or was rotated). */
  | { kind: 'refused'; status: number };

/** The runner's socket and export addresses: the build's PUBLIC_LAB_RUNNER_URL's host, else the page's own. */
export function facilitatorEndpoints(configured: string, page: Pick<Location, 'protocol' | 'host'>): { ws: string; export: string } {
  let secure = page.protocol === 'https:';
  let host = page.host;
  if (configured) {
    const url = new URL(configured);
    secure = url.protocol === 'wss:';
    host = url.host;
  }
  return { ws: `${secure ? 'wss' : 'ws'}://${host}${FACILITATOR_WS_PATH}`, export: `${secure ? 'https' : 'http'}://${host}${EXPORT_PATH}` };
}

/** Opens a facilitator socket with `token` (the board's, and each mirror's). */
export function openFacilitatorSocket(url: string, token: string): WebSocket {
  const ws = new WebSocket(url, [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`]);
  ws.binaryType = 'arraybuffer';
  return ws;
}

/** What the export endpoint answers `token` with: its HTTP status, or null when it cannot be reached. */
export async function probeToken(exportUrl: string, token: string): Promise<number | null> {
  try {
    const response = await fetch(exportUrl, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    await response.body?.cancel();
    return response.status;
  } catch {
    return null; // no runner there (or a network error): the caller retries
  }
}

export interface BoardSocketOptions {
  ws: string;
  export: string;
  token: () => string | null;
  onState(state: BoardConnectionState): void;
  onMessage(message: FacilitatorServerMessage): void;
}

export class BoardSocket implements Disposable {
  readonly #options: BoardSocketOptions;
  readonly #store = new DisposableStore();
  readonly #socket = this.#store.add(new MutableDisposable());
  readonly #retry = this.#store.add(new MutableDisposable());
  #ws: WebSocket | null = null;
  #delay: number = BoardReconnect.firstDelayMs;

  constructor(options: BoardSocketOptions) {
    this.#options = options;
  }

  /** Connects now (again after a refusal, once the page holds another token). */
  connect(): void {
    if (this.#store.isDisposed) return;
    this.#retry.clear();
    const token = this.#options.token();
    if (!token) return;
    this.#options.onState({ kind: 'connecting' });
    const ws = openFacilitatorSocket(this.#options.ws, token);
    this.#ws = ws;
    let opened = false;
    const onOpen = () => {
      opened = true;
      this.#delay = BoardReconnect.firstDelayMs;
      ws.send(encode({ type: 'board-hello', v: PROTOCOL_VERSION }));
      this.#options.onState({ kind: 'live' });
    };
    const onMessage = (event: MessageEvent) => {
      const decoded = decodeFacilitatorServerMessage(event.data as string | ArrayBuffer);
      if (decoded.ok && decoded.message.type !== 'output') this.#options.onMessage(decoded.message);
    };
    // A browser fires `error` then `close` for a socket that failed; whichever comes first counts
    // (some WebSocket implementations, Node's among them, fire only `error` for a refused upgrade).
    const onClose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      void this.#closed(opened, token);
    };
    ws.addEventListener('open', onOpen);
    ws.addEventListener('message', onMessage);
    ws.addEventListener('error', onClose);
    ws.addEventListener('close', onClose);
    this.#socket.value = toDisposable(() => {
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('message', onMessage);
      ws.removeEventListener('error', onClose);
      ws.removeEventListener('close', onClose);
      ws.close();
    });
  }

  /** Sends a board command; false when the socket is not open (the caller says so). */
  send(message: Extract<FacilitatorClientMessage, { type: 'broadcast' | 'end-workshop' | 'rotate-token' }>): boolean {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(encode(message));
    return true;
  }

  dispose(): void {
    this.#ws = null;
    this.#store.dispose();
  }

  async #closed(opened: boolean, token: string): Promise<void> {
    if (!opened) {
      const status = await probeToken(this.#options.export, token);
      if (this.#store.isDisposed) return;
      if (status === 401 || status === 403) return this.#options.onState({ kind: 'refused', status });
    }
    const delayMs = this.#delay;
    this.#delay = Math.min(this.#delay * 2, BoardReconnect.maxDelayMs);
    this.#options.onState({ kind: 'reconnecting', delayMs });
    const timer = setTimeout(() => this.connect(), delayMs);
    this.#retry.value = toDisposable(() => clearTimeout(timer));
  }
}
