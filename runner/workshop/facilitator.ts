/**
 * The facilitator's socket (FACILITATOR_WS_PATH): its first message makes it a BOARD (the whole
 * room, sent at once and again after every change, coalesced; broadcast, end, rotate) or a
 * MIRROR of one learner's terminal (its replay, then live output; read-only: any message after
 * the hello closes it). Only the facilitator token opens it (server.ts checks at the upgrade).
 */
import type { WebSocket } from 'ws';
import {
  CloseCode,
  closeCodeFor,
  decodeFacilitatorClientMessage,
  encode,
  type FacilitatorClientMessage,
  type FacilitatorServerMessage,
} from '../../src/protocol/wire.ts';
import { DisposableStore, MutableDisposable, toDisposable } from '../../src/common/lifecycle.ts';
import type { Logger } from '../log.ts';
import type { SessionRegistry } from '../session.ts';
import type { Room } from './room.ts';
import type { WorkshopRecord } from './types.ts';

/** A facilitator's socket must say which it is within this time. */
const HELLO_TIMEOUT_MS = 10_000;
/**
 * Changes that come together (a block's outcome, then the learner's location) go out as one
 * board this long after the first: well within the 1 s the board promises, and a class of 30
 * running blocks at once costs a few boards a second, not one per message.
 */
export const BOARD_COALESCE_MS = 150;
/** A board is sent again this often even when nothing changed: idle times and the no-progress flag move with the clock. */
export const BOARD_REFRESH_MS = 30_000;
/**
 * Bytes a facilitator's socket may leave unread. A mirror takes no part in flow control (it never
 * pauses the learner's shell), so one that does not keep up is dropped here; it can open again
 * and start from the replay.
 */
export const MAX_FACILITATOR_BUFFERED_BYTES = 2 * 1024 * 1024;

/** The same answer for a learner or terminal that is not there and one that is not the caller's to see. */
const NOT_FOUND = 'No such learner or terminal in this workshop.';

export interface FacilitatorDeps {
  registry: SessionRegistry;
  room: Room;
  record: WorkshopRecord;
  log: Logger;
}

export class FacilitatorConnection {
  readonly #ws: WebSocket;
  readonly #deps: FacilitatorDeps;
  readonly #log: Logger;
  #mode: 'hello' | 'board' | 'mirror' = 'hello';
  /** What the socket's close releases: the hello deadline, the board's listeners and timers, the mirror's observer. */
  readonly #store = new DisposableStore();
  readonly #hello = this.#store.add(new MutableDisposable());
  readonly #pendingBoard = this.#store.add(new MutableDisposable());
  #closing = false;

  constructor(ws: WebSocket, deps: FacilitatorDeps) {
    this.#ws = ws;
    this.#deps = deps;
    this.#log = deps.log.child({ part: 'facilitator' });
    const timer = setTimeout(() => this.#refuse('handshake-required', 'No board-hello or mirror-hello within 10 s.'), HELLO_TIMEOUT_MS);
    this.#hello.value = toDisposable(() => clearTimeout(timer));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.#onFrame(data, isBinary);
      } catch (error) {
        this.#log.error('facilitator frame handling failed', { error });
        this.#refuse('internal', 'The runner could not handle that message.');
      }
    });
    ws.on('close', () => this.#store.dispose());
    ws.on('error', (error) => this.#log.warn('facilitator socket error', { error }));
  }

  #send(message: FacilitatorServerMessage): void {
    if (this.#writable()) this.#ws.send(encode(message));
  }

  #writable(): boolean {
    if (this.#closing || this.#ws.readyState !== this.#ws.OPEN) return false;
    if (this.#ws.bufferedAmount > MAX_FACILITATOR_BUFFERED_BYTES) {
      this.#log.warn('facilitator socket does not read; dropping it', { mode: this.#mode, buffered: this.#ws.bufferedAmount });
      this.#closing = true;
      this.#ws.terminate();
      return false;
    }
    return true;
  }

  #close(code: CloseCode, reason: string): void {
    this.#closing = true;
    this.#store.dispose();
    this.#ws.close(code, reason);
  }

  #refuse(code: Extract<FacilitatorServerMessage, { type: 'error' }>['code'], message: string): void {
    this.#send({ type: 'error', code, message });
    this.#close(closeCodeFor(code), code);
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#closing) return;
    if (this.#mode === 'mirror') return this.#refuse('bad-message', 'A mirror is read-only: it takes no message after its hello.');
    const decoded = decodeFacilitatorClientMessage(isBinary ? data : data.toString('utf8'));
    if (!decoded.ok) return this.#refuse('bad-message', `${decoded.code}: ${decoded.detail}`);
    const message = decoded.message;
    if (this.#mode === 'hello') {
      this.#hello.dispose();
      if (message.type === 'board-hello') return this.#startBoard();
      if (message.type === 'mirror-hello') return this.#startMirror(message);
      return this.#refuse('handshake-required', 'The first message must be board-hello or mirror-hello.');
    }
    this.#onBoardMessage(message);
  }

  // ---- Board ----------------------------------------------------------------------------------

  #startBoard(): void {
    this.#mode = 'board';
    const { record, room } = this.#deps;
    this.#store.add(record.onChange(() => this.#scheduleBoard()));
    this.#store.add(room.onChange(() => this.#scheduleBoard()));
    this.#store.add(room.watchMemory());
    const refresh = setInterval(() => this.#sendBoard(), BOARD_REFRESH_MS);
    refresh.unref();
    this.#store.add(toDisposable(() => clearInterval(refresh)));
    this.#sendBoard();
  }

  #scheduleBoard(): void {
    if (this.#pendingBoard.value || this.#closing) return;
    const timer = setTimeout(() => this.#sendBoard(), BOARD_COALESCE_MS);
    this.#pendingBoard.value = toDisposable(() => clearTimeout(timer));
  }

  #sendBoard(): void {
    this.#pendingBoard.clear();
    if (this.#closing) return;
    this.#send(this.#deps.record.board(this.#deps.room, Date.now()));
  }

  #onBoardMessage(message: FacilitatorClientMessage): void {
    const { record, room } = this.#deps;
    switch (message.type) {
      case 'board-hello':
      case 'mirror-hello':
        return this.#refuse('bad-message', `${message.type} was already received on this socket.`);
      case 'broadcast':
        // The board stays open after the end (its record and the export still count): say so, keep it.
        if (room.ended) return this.#send({ type: 'error', code: 'workshop-ended', message: 'This workshop has ended: nobody is there to read a broadcast.' });
        room.broadcast(message.text);
        this.#log.info('broadcast sent', { chars: message.text.length });
        return;
      case 'end-workshop':
        this.#log.info('workshop ended by the facilitator');
        record.end(); // idempotent; its onEnded ends the sessions (room.ts)
        return;
      case 'rotate-token': {
        const token = record.rotate(message.which);
        this.#log.info('token rotated', { which: message.which });
        return this.#send({ type: 'tokens', which: message.which, token });
      }
    }
  }

  // ---- Mirror ---------------------------------------------------------------------------------

  #startMirror(hello: Extract<FacilitatorClientMessage, { type: 'mirror-hello' }>): void {
    this.#mode = 'mirror';
    const { registry, record } = this.#deps;
    const session = registry.sessionOf(hello.learner);
    const view = session ? record.learnerView(hello.learner) : null;
    if (!session || !view) return this.#refuse('not-found', NOT_FOUND);
    const observing = session.observe(hello.terminal, {
      start: (seq) => this.#send({ type: 'mirror', learner: hello.learner, name: view.name, terminal: hello.terminal, seq }),
      sendOutput: (frame) => {
        if (this.#writable()) this.#ws.send(frame, { binary: true });
      },
      ended: (reason) => {
        if (this.#closing) return;
        this.#send({ type: 'mirror-ended', reason });
        this.#close(CloseCode.sessionEnded, 'mirror-ended');
      },
    });
    if (!observing) return this.#refuse('not-found', NOT_FOUND);
    this.#store.add(observing);
    this.#log.info('mirror opened', { learner: hello.learner, terminal: hello.terminal });
  }
}
