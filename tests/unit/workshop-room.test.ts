/**
 * The room's admission rules (runner/workshop/room.ts) with sessions that are only places: FIFO
 * order, the places told again when they change, memory as a second limit, a learner's own
 * session found again, another's refused as unknown, the end. What a learner sees on a real
 * runner (queued, then a welcome and a shell) is in tests/integration/workshop.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../runner/log.ts';
import type { Session } from '../../runner/session.ts';
import { Room, SESSION_UNKNOWN_TEXT, type RoomSessions, type WaitingClient } from '../../runner/workshop/room.ts';
import type { LearnerRef, WorkshopRecord } from '../../runner/workshop/types.ts';
import { toDisposable } from '../../src/common/lifecycle.ts';
import { PROTOCOL_VERSION, type HelloMessage, type ServerMessage } from '../../src/protocol/wire.ts';

const quiet = createLogger({ write: () => {} });
const HELLO: HelloMessage = { type: 'hello', v: PROTOCOL_VERSION, terminal: 'main', cols: 80, rows: 24 };
const GIB = 1024 ** 3;

class FakeClient implements WaitingClient {
  readonly messages: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  session: { id: string; resumed: boolean } | null = null;
  send(message: ServerMessage): void {
    this.messages.push(message);
  }
  sendOutput(): void {
    // Nothing runs in these sessions.
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  admitted(session: Session, _hello: HelloMessage, resumed: boolean): void {
    this.session = { id: session.id, resumed };
  }
  get queued(): Extract<ServerMessage, { type: 'queued' }>[] {
    return this.messages.filter((m) => m.type === 'queued');
  }
}

/** Sessions as places: a learner and an id, nothing behind them. */
class FakeSessions implements RoomSessions {
  readonly live = new Map<string, Session>();
  ended: string[] = [];
  #next = 1;
  get occupied(): number {
    return this.live.size;
  }
  get(id: string): Session | undefined {
    return [...this.live.values()].find((s) => s.id === id);
  }
  sessionOf(learnerId: string): Session | undefined {
    return this.live.get(learnerId);
  }
  sessions(): Iterable<Session> {
    return this.live.values();
  }
  create(learner: LearnerRef): Session {
    const session = { id: `session-${this.#next++}`, learner, ready: true, terminalNames: () => ['main'], sendToClients: () => {}, memoryBytes: async () => null } as unknown as Session;
    this.live.set(learner.id, session);
    return session;
  }
  endAll(reason: string): void {
    this.ended.push(reason);
    this.live.clear();
  }
  /** A session ends and its sandbox is gone. */
  release(learnerId: string): void {
    this.live.delete(learnerId);
  }
}

function fakeRecord(): WorkshopRecord & { fireEnded(): void } {
  const ended = new Set<() => void>();
  let endedAt: number | null = null;
  let id = 0;
  return {
    get endedAt() {
      return endedAt;
    },
    onEnded: (listener: () => void) => {
      ended.add(listener);
      return toDisposable(() => ended.delete(listener));
    },
    broadcast: (text: string) => ({ id: ++id, text, at: 1 }),
    fireEnded: () => {
      endedAt = 2;
      for (const listener of ended) listener();
    },
  } as unknown as WorkshopRecord & { fireEnded(): void };
}

const learner = (n: number): LearnerRef => ({ id: `learner-${String(n).padStart(8, '0')}`, name: `L${n}` });

function room(capacity: number, memAvailable: () => number | null = () => 64 * GIB) {
  const sessions = new FakeSessions();
  const record = fakeRecord();
  const r = new Room(sessions, record, { capacity, sandboxMemoryBytes: GIB, memAvailable }, quiet);
  return { room: r, sessions, record };
}

test('a room with places starts a session at once; a learner without a session id finds theirs again', () => {
  const { room: r, sessions } = room(2);
  const a = new FakeClient();
  r.hello(learner(1), a, HELLO);
  assert.deepEqual(a.session, { id: 'session-1', resumed: false });
  assert.deepEqual(a.queued, []);
  const again = new FakeClient();
  r.hello(learner(1), again, HELLO);
  assert.deepEqual(again.session, { id: 'session-1', resumed: true }, 'a reload without a session id resumes');
  assert.equal(sessions.live.size, 1);
  r.dispose();
});

test("another learner's session id gets the same refusal as an unknown one", () => {
  const { room: r } = room(2);
  r.hello(learner(1), new FakeClient(), HELLO);
  const answers = ['session-1', 'no-such-session'].map((sessionId) => {
    const client = new FakeClient();
    r.hello(learner(2), client, { ...HELLO, sessionId });
    return { messages: client.messages, closed: client.closed, session: client.session };
  });
  assert.deepEqual(answers[0], { messages: [{ type: 'error', code: 'session-unknown', message: SESSION_UNKNOWN_TEXT }], closed: { code: 4404, reason: 'session-unknown' }, session: null });
  assert.deepEqual(answers[0], answers[1]);
  r.dispose();
});

test('a full room queues in order, tells each their place when it changes, and serves the head first', () => {
  const { room: r, sessions } = room(1);
  r.hello(learner(1), new FakeClient(), HELLO);
  const [b, c, d] = [new FakeClient(), new FakeClient(), new FakeClient()];
  r.hello(learner(2), b, HELLO);
  r.hello(learner(3), c, HELLO);
  r.hello(learner(4), d, HELLO);
  assert.deepEqual(b.queued.at(-1), { type: 'queued', reason: 'room-full', position: 1, of: 3, retryAfter: null });
  assert.deepEqual(d.queued.at(-1), { type: 'queued', reason: 'room-full', position: 3, of: 3, retryAfter: null });
  assert.deepEqual(r.queue().map((q) => q.learner), [learner(2).id, learner(3).id, learner(4).id]);
  assert.equal(r.learner(learner(3).id).sandbox, 'queued');

  // The second in line leaves: the third moves up; everyone is told once of the shorter queue.
  const told = [b.queued.length, d.queued.length];
  r.leave(c);
  assert.deepEqual([b.queued.length, d.queued.length], [told[0] as number + 1, told[1] as number + 1]);
  assert.deepEqual(b.queued.at(-1), { type: 'queued', reason: 'room-full', position: 1, of: 2, retryAfter: null });
  assert.deepEqual(d.queued.at(-1), { type: 'queued', reason: 'room-full', position: 2, of: 2, retryAfter: null });
  // Something that changes no place (a session elsewhere ends while the room stays full) tells nobody.
  r.released();
  assert.deepEqual([b.queued.length, d.queued.length], [told[0] as number + 1, told[1] as number + 1]);

  sessions.release(learner(1).id);
  r.released();
  assert.equal(b.session?.resumed, false, 'the head of the queue gets the place');
  assert.equal(d.session, null);
  assert.deepEqual(d.queued.at(-1), { type: 'queued', reason: 'room-full', position: 1, of: 1, retryAfter: null });
  r.dispose();
});

test('without the memory for another sandbox the learner waits with reason memory, and is served when it frees up', () => {
  let available = GIB / 2;
  const { room: r } = room(5, () => available);
  const a = new FakeClient();
  r.hello(learner(1), a, HELLO);
  assert.deepEqual(a.queued.at(-1), { type: 'queued', reason: 'memory', position: 1, of: 1, retryAfter: 10 });
  assert.equal(r.queue()[0]?.reason, 'memory');
  available = 3 * GIB;
  r.released();
  assert.notEqual(a.session, null);
  r.dispose();
});

test('sandboxes started in one round count against the memory they may take', () => {
  let available = 0;
  const { room: r } = room(5, () => available);
  const clients = [1, 2, 3].map((n) => {
    const client = new FakeClient();
    r.hello(learner(n), client, HELLO);
    return client;
  });
  assert.deepEqual(clients.map((c) => c.queued.at(-1)?.reason), ['memory', 'memory', 'memory']);
  // Memory for two and a half sandboxes frees up at once: two start, the third waits on.
  available = 2.5 * GIB;
  r.released();
  assert.deepEqual(clients.map((c) => c.session !== null), [true, true, false]);
  assert.deepEqual(clients[2]?.queued.at(-1), { type: 'queued', reason: 'memory', position: 1, of: 1, retryAfter: 10 });
  r.dispose();
});

test('the end refuses the queue with workshop-ended, ends every session, and refuses later hellos', () => {
  const { room: r, sessions, record } = room(1);
  r.hello(learner(1), new FakeClient(), HELLO);
  const waiting = new FakeClient();
  r.hello(learner(2), waiting, HELLO);
  record.fireEnded();
  assert.deepEqual(waiting.messages.at(-1), { type: 'error', code: 'workshop-ended', message: 'This workshop has ended.' });
  assert.equal(waiting.closed?.code, 4410);
  assert.deepEqual(sessions.ended, ['workshop-ended']);
  assert.deepEqual(r.queue(), []);
  const late = new FakeClient();
  r.hello(learner(3), late, HELLO);
  assert.equal(late.closed?.code, 4410);
  assert.equal(late.session, null);
  r.dispose();
});

test('a broadcast reaches the learners who wait too', () => {
  const { room: r } = room(1);
  r.hello(learner(1), new FakeClient(), HELLO);
  const waiting = new FakeClient();
  r.hello(learner(2), waiting, HELLO);
  r.broadcast('Back in 5 minutes');
  assert.deepEqual(waiting.messages.at(-1), { type: 'broadcast', id: 1, text: 'Back in 5 minutes', at: 1 });
  r.dispose();
});
