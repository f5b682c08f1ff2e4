/**
 * A read-only mirror of one learner's terminal, on a socket of its own: `mirror-hello`, then the
 * runner's `mirror` answer and the terminal's output as binary frames (its replay buffer, then
 * live). Nothing is sent after the hello: the view takes no input (TerminalView `readOnly`), and
 * there is no input path to send it on. A chunk of its own with xterm, loaded when a mirror opens.
 */
import { DisposableStore, toDisposable, type Disposable } from '../../common/lifecycle.ts';
import { decodeFacilitatorServerMessage, encode, PROTOCOL_VERSION } from '../../protocol/wire.ts';
import { TerminalView } from '../../terminal/view.ts';
import { openFacilitatorSocket } from './board-socket.ts';

export type MirrorState =
  | { kind: 'connecting' }
  | { kind: 'live'; name: string }
  | { kind: 'ended'; reason: string }
  | { kind: 'not-found' }
  | { kind: 'failed'; detail: string };

export interface MirrorOptions {
  url: string;
  token: string;
  learner: string;
  terminal: string;
  /** The terminal's accessible name. */
  label: string;
  onState(state: MirrorState): void;
}

export class Mirror implements Disposable {
  readonly #store = new DisposableStore();
  readonly #view: TerminalView;
  /** Offset just past the last byte shown: output the runner sends again below it is dropped. */
  #held: number | null = null;
  #settled = false;

  constructor(host: HTMLElement, options: MirrorOptions) {
    this.#view = this.#store.add(new TerminalView(host, { label: options.label, fontSize: 13, readOnly: true }));
    const ws = openFacilitatorSocket(options.url, options.token);
    const settle = (state: MirrorState) => {
      this.#settled = true;
      options.onState(state);
    };
    const onOpen = () => ws.send(encode({ type: 'mirror-hello', v: PROTOCOL_VERSION, learner: options.learner, terminal: options.terminal }));
    const onMessage = (event: MessageEvent) => {
      const decoded = decodeFacilitatorServerMessage(event.data as string | ArrayBuffer);
      if (!decoded.ok) return settle({ kind: 'failed', detail: decoded.detail });
      const message = decoded.message;
      switch (message.type) {
        case 'mirror':
          this.#held = message.seq;
          return options.onState({ kind: 'live', name: message.name });
        case 'output':
          return this.#write(message.seq, message.data);
        case 'mirror-ended':
          return settle({ kind: 'ended', reason: message.reason });
        case 'error':
          return settle(message.code === 'not-found' ? { kind: 'not-found' } : { kind: 'failed', detail: message.message });
        default:
          return; // board messages do not come on a mirror socket
      }
    };
    const onClose = (event: CloseEvent) => {
      if (!this.#settled) settle({ kind: 'failed', detail: event.reason || String(event.code) });
    };
    ws.addEventListener('open', onOpen);
    ws.addEventListener('message', onMessage);
    ws.addEventListener('close', onClose);
    this.#store.add(toDisposable(() => {
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('message', onMessage);
      ws.removeEventListener('close', onClose);
      ws.close();
    }));
    options.onState({ kind: 'connecting' });
  }

  /** The mirrored screen and scrollback as text (for tests). */
  text(): string {
    return this.#view.text();
  }

  focus(): void {
    this.#view.focus();
  }

  dispose(): void {
    this.#store.dispose();
  }

  #write(seq: number, data: Uint8Array): void {
    const held = this.#held ?? seq;
    const end = seq + data.length;
    if (end <= held) return;
    this.#held = end;
    // Copied: `data` is a view into the frame, and xterm may parse it after this returns.
    this.#view.write(data.slice(Math.max(0, held - seq)), () => {});
  }
}
