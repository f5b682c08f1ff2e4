/**
 * Read-only observers of a terminal (the facilitator's mirror), on a real pty running bash: an
 * observer gets the replay from the first byte, then every live frame; it takes no part in flow
 * control, so one that never acknowledges does not hold the shell back; disposing the terminal
 * ends it. The mirror over a real runner is in tests/integration/workshop.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Terminal, type TerminalClient, type TerminalObserver } from '../../runner/terminal.ts';
import { decodeServerMessage, type ServerMessage } from '../../src/protocol/wire.ts';
import { pollFor } from '../support/poll.ts';

/** Bytes in a frame, as text, in the order they came; and whether each frame followed the one before. */
class Screen {
  text = '';
  end: number | null = null;
  gaps = 0;
  readonly #decoder = new TextDecoder();
  take(frame: Uint8Array): number {
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok || decoded.message.type !== 'output') throw new Error('not an output frame');
    const { seq, data } = decoded.message;
    if (this.end !== null && seq !== this.end) this.gaps += 1;
    this.end = seq + data.length;
    this.text += this.#decoder.decode(data, { stream: true });
    return this.end;
  }
}

/** The reader's socket: acknowledges each frame as soon as it arrives, as a page that keeps up does. */
class AckingClient implements TerminalClient {
  readonly screen = new Screen();
  terminal: Terminal | null = null;
  send(_message: ServerMessage): void {
    // Control messages are the session's; the terminal sends only output.
  }
  sendOutput(frame: Uint8Array): void {
    const end = this.screen.take(frame);
    // The acknowledgement comes back later, as over a socket (never inside the send).
    setImmediate(() => this.terminal?.ack(end));
  }
  close(): void {
    // Never closed by the terminal itself.
  }
}

/** A mirror that never acknowledges anything (observers cannot). */
class Observer implements TerminalObserver {
  readonly screen = new Screen();
  started: number | null = null;
  endedWith: string | null = null;
  start(seq: number): void {
    this.started = seq;
  }
  sendOutput(frame: Uint8Array): void {
    this.screen.take(frame);
  }
  ended(reason: string): void {
    this.endedWith = reason;
  }
}

const SCRIPT = 'echo first-line; read line; echo "got:$line"; seq 1 300000; echo all-done; read wait';

test('an observer gets the replay from the first byte, then live output, never holds the shell back, and ends with the terminal', async () => {
  const terminal = new Terminal({ file: 'bash', args: ['--norc', '--noprofile', '-c', SCRIPT], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, { cols: 80, rows: 24 }, { onExit: () => {} });
  const client = new AckingClient();
  client.terminal = terminal;
  terminal.replay(terminal.attach(client, 0));
  try {
    await pollFor(() => client.screen.text, (text) => text.includes('first-line'), { timeoutMs: 10_000, intervalMs: 20 });

    const observer = new Observer();
    terminal.observe(observer);
    assert.equal(observer.started, 0, 'the replay starts at the first byte');
    assert.match(observer.screen.text, /first-line/, 'what the shell printed before the mirror opened');

    terminal.write('from-the-reader\r');
    // 300 000 lines (about 2 MB) are many times the flow-control window: they get through only
    // because the reader acknowledges and the observer, which never does, does not count.
    const seen = await pollFor(() => observer.screen.text, (text) => text.includes('all-done'), { timeoutMs: 60_000, intervalMs: 50 });
    assert.match(seen, /got:from-the-reader/);
    assert.match(seen, /\r\n300000\r\nall-done/);
    assert.equal(observer.screen.gaps, 0, 'each frame follows the one before');
    assert.equal(observer.screen.end, client.screen.end, 'the observer saw exactly what the reader saw');
    assert.equal(terminal.observers, 1);

    terminal.dispose();
    assert.equal(observer.endedWith, 'The session ended.');
    assert.equal(terminal.observers, 0);
  } finally {
    terminal.dispose();
  }
});

test('an observer removed by its owner gets nothing more and is not told of the end', async () => {
  const terminal = new Terminal({ file: 'bash', args: ['--norc', '--noprofile', '-c', 'read a; echo "one:$a"; read b; echo "two:$b"; read c'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, { cols: 80, rows: 24 }, { onExit: () => {} });
  const client = new AckingClient();
  client.terminal = terminal;
  terminal.replay(terminal.attach(client, 0));
  try {
    const observer = new Observer();
    const observing = terminal.observe(observer);
    terminal.write('x\r');
    await pollFor(() => observer.screen.text, (text) => text.includes('one:x'), { timeoutMs: 10_000, intervalMs: 20 });
    observing.dispose();
    terminal.write('y\r');
    await pollFor(() => client.screen.text, (text) => text.includes('two:y'), { timeoutMs: 10_000, intervalMs: 20 });
    assert.doesNotMatch(observer.screen.text, /two:y/);
    terminal.dispose();
    assert.equal(observer.endedWith, null);
  } finally {
    terminal.dispose();
  }
});
