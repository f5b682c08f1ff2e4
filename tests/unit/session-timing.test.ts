/**
 * When a session ends by the clock (idle time, maximum age, reconnect grace), on fake timers: the
 * timing logic of runner/session.ts without waiting for it. What must be left behind by a real
 * runner (sessions ended, sandboxes removed) is checked in tests/integration/lifetimes.test.ts.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../runner/log.ts';
import { Session, SessionClock, type SessionLimits } from '../../runner/session.ts';
import type { Sandbox, SandboxProvider } from '../../runner/sandbox/provider.ts';
import type { TerminalClient } from '../../runner/terminal.ts';
import { PROTOCOL_VERSION, type HelloMessage, type ServerMessage } from '../../src/protocol/wire.ts';

const LIMITS: SessionLimits = { idleTimeout: 2, maxLifetime: 0, reconnectGrace: 60, maxTerminals: 4 };
const quiet = createLogger({ write: () => {} });
const HELLO: HelloMessage = { type: 'hello', v: PROTOCOL_VERSION, terminal: 'main', cols: 80, rows: 24 };

/** A reader's socket, as the session sees it. */
class FakeClient implements TerminalClient {
  readonly messages: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  send(message: ServerMessage): void {
    this.messages.push(message);
  }
  sendOutput(): void {
    // No shell ever opens with these providers: no output to keep.
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  get ended(): ServerMessage[] {
    return this.messages.filter((m) => m.type === 'ended');
  }
}

/** A provider whose sandbox is still booting: a client waits on it, and nothing opens a shell. */
function bootingProvider(): SandboxProvider {
  return {
    kind: 'host',
    create: () => new Promise<Sandbox>(() => {}),
    sweep: async () => 0,
    close: async () => {},
  };
}

function withFakeTimers(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
}

function session(limits: Partial<SessionLimits> = {}) {
  const ended: Session[] = [];
  const s = new Session('s-1', bootingProvider(), { ...LIMITS, ...limits }, quiet, (e) => ended.push(e));
  const client = new FakeClient();
  void s.attach(client, HELLO, false);
  return { session: s, client, ended };
}

test('the clock: idle ends after the idle time without a touch, and each touch starts it again', (t) => {
  withFakeTimers(t);
  const expired: string[] = [];
  const clock = new SessionClock({ ...LIMITS, idleTimeout: 2 }, (reason) => expired.push(reason));
  clock.touch();
  t.mock.timers.tick(1_999);
  clock.touch();
  t.mock.timers.tick(1_999);
  assert.deepEqual(expired, [], 'touched within the idle time: still live');
  t.mock.timers.tick(1);
  assert.deepEqual(expired, ['idle']);
  t.mock.timers.tick(10_000);
  assert.deepEqual(expired, ['idle'], 'expires once');
});

test('the clock: the maximum age ends a session however busy it is', (t) => {
  withFakeTimers(t);
  const expired: string[] = [];
  const clock = new SessionClock({ ...LIMITS, idleTimeout: 2, maxLifetime: 4 }, (reason) => expired.push(reason));
  for (let ms = 0; ms < 3_999; ms += 500) {
    clock.touch();
    t.mock.timers.tick(500);
  }
  assert.deepEqual(expired, ['max-age']);
  t.mock.timers.tick(10_000);
  assert.deepEqual(expired, ['max-age'], 'the idle timer went with it');
});

test('the clock: 0 turns the idle and maximum-age limits off', (t) => {
  withFakeTimers(t);
  const expired: string[] = [];
  const clock = new SessionClock({ ...LIMITS, idleTimeout: 0, maxLifetime: 0 }, (reason) => expired.push(reason));
  clock.touch();
  t.mock.timers.tick(30 * 24 * 3600 * 1000);
  assert.deepEqual(expired, []);
  clock.dispose();
});

test('the clock: the grace period runs while detached and stops on attach; dispose stops everything', (t) => {
  withFakeTimers(t);
  const expired: string[] = [];
  const expire = (reason: string) => void expired.push(reason);
  const clock = new SessionClock({ ...LIMITS, idleTimeout: 0, reconnectGrace: 60 }, expire);
  clock.detached();
  t.mock.timers.tick(59_000);
  clock.attached();
  t.mock.timers.tick(120_000);
  assert.deepEqual(expired, [], 'attached again in time');
  clock.detached();
  t.mock.timers.tick(60_000);
  assert.deepEqual(expired, ['idle']);

  const other = new SessionClock({ ...LIMITS, idleTimeout: 2, maxLifetime: 4 }, expire);
  other.touch();
  other.detached();
  other.dispose();
  t.mock.timers.tick(3_600_000);
  assert.deepEqual(expired, ['idle'], 'a disposed clock never fires');
});

test('a session without input ends after LAB_IDLE_TIMEOUT: ended idle, close 4410, once', (t) => {
  withFakeTimers(t);
  const { session: s, client, ended } = session({ idleTimeout: 2 });
  t.mock.timers.tick(1_999);
  assert.deepEqual(client.ended, []);
  t.mock.timers.tick(1);
  assert.deepEqual(client.ended, [{ type: 'ended', reason: 'idle', exitCode: null }]);
  assert.deepEqual(client.closed, { code: 4410, reason: 'idle' });
  assert.equal(s.ended, true);
  t.mock.timers.tick(3_600_000);
  assert.equal(ended.length, 1, 'the registry hears of the end once');
  assert.equal(client.ended.length, 1);
});

test('a reader who types every half second outlives the idle time', (t) => {
  withFakeTimers(t);
  const { session: s, client } = session({ idleTimeout: 2 });
  for (let i = 0; i < 20; i++) {
    s.input(client, 'main', 'echo busy\r');
    t.mock.timers.tick(500);
  }
  assert.deepEqual(client.ended, [], 'ten seconds of typing, five idle times, and still live');
  t.mock.timers.tick(2_000);
  assert.equal(client.ended.length, 1, 'ends once the typing stops');
});

test('input from a socket another tab replaced does not keep the session alive', (t) => {
  withFakeTimers(t);
  const { session: s, client } = session({ idleTimeout: 2 });
  const newer = new FakeClient();
  void s.attach(newer, HELLO, true);
  assert.deepEqual(client.closed, { code: 4409, reason: 'another tab took this terminal' });
  for (let i = 0; i < 5; i++) {
    s.input(client, 'main', 'x');
    t.mock.timers.tick(500);
  }
  assert.deepEqual(newer.ended, [{ type: 'ended', reason: 'idle', exitCode: null }]);
});

test('a busy session still ends at LAB_MAX_LIFETIME with max-age, when its welcome would say', (t) => {
  withFakeTimers(t);
  const { session: s, client } = session({ idleTimeout: 2, maxLifetime: 4 });
  const createdAt = s.createdAt;
  for (let i = 0; i < 7; i++) {
    s.input(client, 'main', 'x');
    t.mock.timers.tick(500);
  }
  assert.deepEqual(client.ended, [], 'at 3.5 s, typing, still live');
  t.mock.timers.tick(500);
  assert.deepEqual(client.ended, [{ type: 'ended', reason: 'max-age', exitCode: null }]);
  assert.equal(Date.now(), createdAt + 4_000, 'at createdAt + max lifetime: the welcome\'s expiresAt');
});

test('a session left without a socket ends after the reconnect grace; one that comes back lives on', (t) => {
  withFakeTimers(t);
  const { session: s, client } = session({ idleTimeout: 0, reconnectGrace: 60 });
  s.detach(client, 'main');
  t.mock.timers.tick(59_000);
  const back = new FakeClient();
  void s.attach(back, HELLO, true);
  t.mock.timers.tick(600_000);
  assert.equal(s.ended, false, 'reattached within the grace period');
  s.detach(back, 'main');
  t.mock.timers.tick(60_000);
  assert.equal(s.ended, true);
});
