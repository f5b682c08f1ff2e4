/**
 * Workshop mode on the real runner, a real engine and dind sandboxes: learners join by HTTP and
 * open their lab socket with their credential, the facilitator's board and mirrors see them, a
 * full room queues, the export holds every outcome, a restart keeps the record, and the end
 * leaves no sandbox. The tests of one runner follow each other and share it (one workshop's
 * story, in order); the memory queue and the join endpoint's refusals have runners of their own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { encode, JOIN_PATH, MAX_JOIN_BODY_BYTES, type JoinResponse } from '../../src/protocol/wire.ts';
import { sandboxesOf } from '../support/engine.ts';
import type { LabClient } from '../support/lab-client.ts';
import { pollFor } from '../support/poll.ts';
import { rawRequest } from '../support/raw-http.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import {
  facilitatorUpgradeStatus,
  fetchExport,
  join,
  labUpgradeStatus,
  openBoard,
  openLearner,
  openLearnerSession,
  openMirror,
  postJoin,
  workshopOf,
  type FacilitatorClient,
} from '../support/workshop-client.ts';

const WORKSHOP = 'Docker networking, room 3';
/** A name that would run script if it were ever put in the page as markup. */
const MARKUP_NAME = '<img src=x onerror=alert(1)>';
/** A name a spreadsheet would run as a formula if the export did not guard it. */
const FORMULA_NAME = '=HYPERLINK("http://x")';
const PAGE = 'docker-network';
const BLOCK = 'a1b2c3d4e5f6';
const OTHER_BLOCK = '0123456789ab';

const dataDir = mkdtempSync(joinPath(tmpdir(), 'lab-workshop-'));
const otherDirs: string[] = [];
/** Every runner started here, stopped at the end whatever happened. */
const runners: RunningRunner[] = [];

function workshopArgs(dir: string, learners: number, extra: string[], name: string): string[] {
  return ['--workshop', '--name', name, '--learners', String(learners), '--data-dir', dir, ...extra];
}

async function start(dir: string, learners: number, extra: string[] = [], name = WORKSHOP): Promise<RunningRunner> {
  const runner = await startRunner({ LAB_PROVIDER: 'dind' }, workshopArgs(dir, learners, extra, name));
  runners.push(runner);
  return runner;
}

async function stop(runner: RunningRunner): Promise<void> {
  await runner.stop();
  assert.deepEqual(await sandboxesOf(runner.owner), [], 'a stopped runner leaves none of its sandboxes');
}

after(async () => {
  for (const runner of runners) await runner.stop();
  rmSync(dataDir, { recursive: true, force: true });
  for (const dir of otherDirs) rmSync(dir, { recursive: true, force: true });
});

// ---- One workshop, in order: one place in the room -------------------------------------------

let runner: RunningRunner;
let board: FacilitatorClient;
let first: JoinResponse;
let second: JoinResponse;
let firstClient: LabClient;
/** The join token after the rotation (the runner's listening message keeps the first one). */
let joinToken = '';

before(async () => {
  runner = await start(dataDir, 1);
});

test('a learner joins, runs a command and reports an outcome: the board shows it, the name as typed', async () => {
  const workshop = workshopOf(runner);
  assert.equal(workshop.name, WORKSHOP);
  board = await openBoard(runner);
  assert.equal(board.board?.workshop.name, WORKSHOP);
  assert.equal(board.board?.workshop.capacity, 1);

  first = await join(runner, MARKUP_NAME);
  assert.match(first.credential, /^[A-Za-z0-9_-]{48}$/);
  assert.equal(first.credential.slice(0, 16), first.learner, 'the credential starts with the learner id');
  let shown = await board.waitForBoard((b) => b.learners.some((l) => l.id === first.learner));
  assert.equal(shown.learners.find((l) => l.id === first.learner)?.name, MARKUP_NAME, 'the board carries the name exactly as typed');

  firstClient = await openLearnerSession(runner, first.credential);
  const learner = await firstClient.message('learner');
  assert.equal(learner.name, MARKUP_NAME);
  assert.deepEqual(learner.workshop.name, WORKSHOP);
  assert.deepEqual(learner.outcomes, []);
  const ran = await firstClient.run('echo mirror-me-$((6 * 7))');
  assert.equal(ran.exitCode, 0);
  assert.match(ran.output, /mirror-me-42/);

  firstClient.location(PAGE, 'user-defined-networks');
  firstClient.outcome(PAGE, BLOCK, 'passed', 0);
  shown = await board.waitForBoard((b) => (b.learners.find((l) => l.id === first.learner)?.blocks.length ?? 0) > 0);
  const row = shown.learners.find((l) => l.id === first.learner);
  assert.deepEqual(row?.blocks.map((b) => [b.page, b.block, b.outcome, b.failures]), [[PAGE, BLOCK, 'passed', 0]]);
  assert.equal(row?.page, PAGE);
  assert.equal(row?.section, 'user-defined-networks');
  assert.equal(row?.sandbox, 'ready');
  assert.deepEqual(row?.terminals, ['main']);
  // The fence's cgroup is read every 5 s while a board is open.
  shown = await board.waitForBoard((b) => (b.learners.find((l) => l.id === first.learner)?.memoryBytes ?? 0) > 0);
  assert.ok((shown.learners.find((l) => l.id === first.learner)?.memoryBytes ?? 0) > 1024 * 1024, 'a booted sandbox holds more than a MiB');
});

test('a full room queues the next learner on an open socket; their outcomes still count', async () => {
  second = await join(runner, FORMULA_NAME);
  const waiting = await openLearner(runner, second.credential);
  const queued = await waiting.message('queued');
  assert.deepEqual(queued, { type: 'queued', reason: 'room-full', position: 1, of: 1, retryAfter: null });
  assert.equal(waiting.messages.some((m) => m.type === 'status' || m.type === 'welcome'), false, 'no sandbox is being prepared for them');
  const shown = await board.waitForBoard((b) => b.queue.some((q) => q.learner === second.learner));
  assert.deepEqual(shown.queue.map((q) => [q.learner, q.reason]), [[second.learner, 'room-full']]);
  assert.equal(shown.learners.find((l) => l.id === second.learner)?.sandbox, 'queued');

  // Reading the recorded output while waiting: the page still reports what the learner does.
  waiting.outcome(PAGE, OTHER_BLOCK, 'failed', 1);
  await board.waitForBoard((b) => (b.learners.find((l) => l.id === second.learner)?.blocks.length ?? 0) > 0);
  await waiting.close();
  await board.waitForBoard((b) => b.queue.length === 0);
});

test('the CSV export holds every outcome, formula-guarded, for the facilitator only', async () => {
  const exported = await fetchExport(runner);
  assert.equal(exported.status, 200);
  assert.equal(exported.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.match(exported.headers.get('content-disposition') ?? '', /^attachment; filename="Docker-networking-room-3-progress\.csv"$/);
  assert.equal(exported.headers.get('cache-control'), 'no-store');
  const lines = exported.body.trim().split(/\r?\n/);
  assert.equal(lines.length, 3, `a header and one row per outcome:\n${exported.body}`);
  const firstRow = lines.find((line) => line.includes(first.learner)) ?? '';
  assert.ok(firstRow.includes(MARKUP_NAME), `the name as typed: ${firstRow}`);
  assert.ok(firstRow.includes(BLOCK) && firstRow.includes('passed'));
  const secondRow = lines.find((line) => line.includes(second.learner)) ?? '';
  assert.ok(secondRow.includes(`'=HYPERLINK`), `a formula is prefixed with ': ${secondRow}`);
  assert.ok(!/(^|,)"?=HYPERLINK/.test(secondRow), 'no cell starts with =');

  const { join: joinToken } = workshopOf(runner);
  assert.equal((await fetchExport(runner, first.credential)).status, 403, 'a learner credential');
  assert.equal((await fetchExport(runner, joinToken)).status, 403, 'the join token');
  assert.equal((await fetchExport(runner, 'not-a-token-at-all-0123456789')).status, 401);
  assert.equal((await fetchExport(runner, null)).status, 401);
});

test('only the facilitator token opens the facilitator socket, and only credentials the lab socket', async () => {
  const { join: joinToken, facilitator } = workshopOf(runner);
  assert.equal(await facilitatorUpgradeStatus(runner, first.credential), 403);
  assert.equal(await facilitatorUpgradeStatus(runner, joinToken), 403);
  assert.equal(await facilitatorUpgradeStatus(runner, 'garbage-garbage-garbage-0123'), 401);
  assert.equal(await labUpgradeStatus(runner, joinToken), 401, 'the join token opens no sandbox');
  assert.equal(await labUpgradeStatus(runner, facilitator), 401, 'nor does the facilitator token');
  assert.equal(await labUpgradeStatus(runner, runner.token), 401, 'nor the runner token outside workshop mode');
});

test("another learner's session id is answered exactly as a made-up one", async () => {
  const { sessionId } = await firstClient.message('welcome');
  const answers = [];
  for (const id of [sessionId, 'made-up-session-id-0123456789ab']) {
    const client = await openLearner(runner, second.credential, { sessionId: id });
    const error = await client.message('error');
    answers.push({ error, close: (await client.closed).code });
  }
  assert.equal(answers[0]?.error.code, 'session-unknown');
  assert.deepEqual(answers[0], answers[1]);
  assert.equal(answers[0]?.close, 4404);
});

test('a mirror shows the replay and the live output, and has no input path', async () => {
  const mirror = await openMirror(runner, first.learner);
  const hello = await mirror.message('mirror');
  assert.deepEqual({ ...hello, seq: 0 }, { type: 'mirror', learner: first.learner, name: MARKUP_NAME, terminal: 'main', seq: 0 });
  await mirror.waitForOutput(/mirror-me-42/); // from the replay
  await firstClient.run('echo live-$((40 + 2))');
  await mirror.waitForOutput(/live-42/);

  mirror.sendRaw(encode({ type: 'input', data: 'echo typed-by-the-mirror\r' }));
  assert.equal((await mirror.closed).code, 4400, 'any message after the hello closes a mirror');
  const next = await firstClient.run('echo after-the-mirror');
  assert.equal(next.exitCode, 0);
  assert.doesNotMatch(firstClient.output, /typed-by-the-mirror/, "the learner's terminal never saw it");

  const unknown = await openMirror(runner, 'AAAAAAAAAAAAAAAA');
  const noTerminal = await openMirror(runner, first.learner, 'other');
  const notFound = [await unknown.message('error'), await noTerminal.message('error')];
  assert.equal(notFound[0]?.code, 'not-found');
  assert.deepEqual(notFound[0], notFound[1], 'an unknown learner and an unknown terminal get the same answer');
  assert.equal((await unknown.closed).code, 4404);
});

test('a restart keeps the board, the tokens and the credentials; the sandbox is new', async () => {
  const before = workshopOf(runner);
  await board.close();
  await stop(runner);
  assert.equal((await firstClient.message('ended')).reason, 'shutdown');

  runner = await start(dataDir, 1);
  const after = workshopOf(runner);
  assert.deepEqual(after, before, 'the same workshop, with the same tokens');
  board = await openBoard(runner);
  const row = board.board?.learners.find((l) => l.id === first.learner);
  assert.equal(row?.name, MARKUP_NAME);
  assert.deepEqual(row?.blocks.map((b) => [b.block, b.outcome]), [[BLOCK, 'passed']]);
  assert.equal(row?.sandbox, 'none');
  assert.deepEqual(board.board?.learners.map((l) => l.id).sort(), [first.learner, second.learner].sort());

  firstClient = await openLearnerSession(runner, first.credential);
  assert.equal((await firstClient.message('welcome')).resumed, false, 'a new session');
  const learner = await firstClient.message('learner');
  assert.deepEqual(learner.outcomes.map((o) => [o.page, o.block, o.outcome]), [[PAGE, BLOCK, 'passed']]);
});

test('a queued learner is served when the session before them ends', async () => {
  const waiting = await openLearner(runner, second.credential);
  assert.equal((await waiting.message('queued')).position, 1);
  const mirror = await openMirror(runner, first.learner);
  await mirror.message('mirror');
  firstClient.send({ type: 'reset' });
  assert.equal((await firstClient.message('ended')).reason, 'reset');
  assert.equal((await mirror.message('mirror-ended')).type, 'mirror-ended', 'the mirror is told its terminal is gone');
  assert.equal((await mirror.closed).code, 4410);
  await waiting.message('welcome', 120_000);
  const { exitCode, output } = await waiting.run('echo served-$((1 + 1))');
  assert.equal(exitCode, 0);
  assert.match(output, /served-2/);
  assert.equal((await waiting.message('learner')).name, FORMULA_NAME);
  firstClient = waiting;
});

test('rotating the join token: the old link is refused, the new one joins, learners go on', async () => {
  const old = workshopOf(runner).join;
  const fresh = await board.rotate('join');
  assert.notEqual(fresh, old);
  const refused = await postJoin(runner, { join: old, name: 'late' });
  assert.equal(refused.status, 403);
  assert.equal(JSON.parse(refused.body).error, 'forbidden');
  joinToken = fresh;
  const third = await join(runner, 'Third', { join: fresh });
  assert.match(third.learner, /^[A-Za-z0-9_-]{16}$/);
  assert.equal((await firstClient.run('echo still-here')).exitCode, 0, 'a learner in a session is not affected');
});

test('a broadcast reaches every learner socket, and ending the workshop leaves no sandbox', async () => {
  board.broadcast('Break until 11:00');
  const broadcast = await firstClient.message('broadcast');
  assert.equal(broadcast.text, 'Break until 11:00');
  await board.waitForBoard((b) => b.broadcasts.some((m) => m.text === 'Break until 11:00'));

  board.endWorkshop();
  assert.deepEqual(await firstClient.message('ended'), { type: 'ended', reason: 'workshop-ended', exitCode: null });
  assert.equal((await firstClient.closed).code, 4410);
  const sandboxes = await pollFor(() => sandboxesOf(runner.owner), (names) => names.length === 0);
  assert.deepEqual(sandboxes, [], 'every sandbox removed');
  const ended = await board.waitForBoard((b) => b.workshop.endedAt !== null);
  assert.ok(ended.learners.every((l) => l.sandbox === 'none'));

  const refused = await postJoin(runner, { join: joinToken, name: 'Too late' });
  assert.equal(refused.status, 410);
  const late = await openLearner(runner, first.credential);
  assert.equal((await late.message('error')).code, 'workshop-ended');
  assert.equal((await fetchExport(runner)).status, 200, 'the export still works');
  await board.close();
  await stop(runner);
});

// ---- A machine without memory for another sandbox ---------------------------------------------

test('a sandbox memory limit above what the machine has queues with reason memory, and starts nothing', async () => {
  const dir = mkdtempSync(joinPath(tmpdir(), 'lab-workshop-'));
  otherDirs.push(dir);
  // Far above any machine's MemAvailable; the limit is only compared, never allocated.
  const low = await start(dir, 3, ['--sandbox-memory', '4096g']);
  const learner = await join(low, 'Patient');
  const waiting = await openLearner(low, learner.credential);
  const queued = await waiting.message('queued');
  assert.equal(queued.reason, 'memory');
  assert.equal(queued.position, 1);
  assert.equal(typeof queued.retryAfter, 'number');
  const board = await openBoard(low);
  assert.deepEqual(board.board?.queue.map((q) => q.reason), ['memory']);
  assert.deepEqual(await sandboxesOf(low.owner), [], 'no sandbox was created');
  await board.close();
  await waiting.close();
  await stop(low);
});

// ---- The join endpoint's refusals ------------------------------------------------------------

test('the join endpoint: CORS for listed origins only, and a clear refusal for each bad request', async () => {
  const dir = mkdtempSync(joinPath(tmpdir(), 'lab-workshop-'));
  otherDirs.push(dir);
  const http = await start(dir, 1);
  const { join: joinToken } = workshopOf(http);
  const url = `${http.url}${JOIN_PATH}`;

  const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: http.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), http.origin);
  assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');
  assert.match(preflight.headers.get('vary') ?? '', /Origin/);
  const foreign = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://elsewhere.example', 'access-control-request-method': 'POST' } });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get('access-control-allow-origin'), null);

  const refusal = (answer: { status: number; body: string }) => [answer.status, (JSON.parse(answer.body) as { error: string }).error];
  assert.deepEqual(refusal(await postJoin(http, { join: joinToken, name: 'A' }, { origin: 'http://elsewhere.example' })), [403, 'forbidden']);
  assert.deepEqual(refusal(await postJoin(http, 'name=A', { 'content-type': 'application/x-www-form-urlencoded' })), [415, 'bad-request']);
  assert.deepEqual(refusal(await postJoin(http, '{"join":')), [400, 'bad-request']);
  assert.deepEqual(refusal(await postJoin(http, { join: joinToken, name: 'A', admin: true })), [400, 'bad-request']);
  assert.deepEqual(refusal(await postJoin(http, { join: joinToken, name: '   ' })), [400, 'bad-name']);
  assert.deepEqual(refusal(await postJoin(http, { join: joinToken, name: 'x'.repeat(MAX_JOIN_BODY_BYTES + 1) })), [413, 'too-large']);
  // A body sent in chunks, with no length said up front, is cut off at the limit too.
  const chunk = 'x'.repeat(1024);
  const chunked = [...Array(MAX_JOIN_BODY_BYTES / 1024 + 2)].map(() => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
  const streamed = await rawRequest(http.port, `POST ${JOIN_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${http.port}\r\nOrigin: ${http.origin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}0\r\n\r\n`);
  assert.equal(streamed.status, 413);
  const misdirected = await rawRequest(http.port, `POST ${JOIN_PATH} HTTP/1.1\r\nHost: attacker.example\r\nOrigin: ${http.origin}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
  assert.equal(misdirected.status, 421, 'a Host that is not the runner\'s (DNS rebinding) is refused');
  const joined = await postJoin(http, { join: joinToken, name: 'A' });
  assert.equal(joined.status, 200);
  assert.equal(joined.headers.get('access-control-allow-origin'), http.origin);

  // 7 joins counted so far (the foreign Origin and the foreign Host are refused before): the limit allows one address 60 in 10 minutes.
  let last = joined;
  for (let i = 0; i < 60 && last.status !== 429; i++) last = await postJoin(http, { join: joinToken, name: `Learner ${i}` });
  assert.equal(last.status, 429);
  assert.deepEqual(refusal(last), [429, 'too-many']);
  assert.ok(Number(last.headers.get('retry-after')) > 0, 'Retry-After says when');
  let board = await openBoard(http);
  assert.equal(board.board?.learners.length, 1 + (60 - 7), 'every join under the limit was recorded, none over it');
  await board.close();
  await stop(http);

  // A new name in the same data folder: a new workshop, the earlier one ended. Its learner is,
  // to this workshop, unknown: the same answers as an id that never existed.
  const next = await start(dir, 1, [], 'Another room');
  assert.notEqual(workshopOf(next).id, workshopOf(http).id);
  const earlier = (JSON.parse(joined.body) as JoinResponse);
  assert.equal(await labUpgradeStatus(next, earlier.credential), 401, "an earlier workshop's credential opens nothing");
  const answers = [];
  for (const id of [earlier.learner, 'ZZZZZZZZZZZZZZZZ']) {
    const mirror = await openMirror(next, id);
    answers.push({ error: await mirror.message('error'), close: (await mirror.closed).code });
  }
  assert.equal(answers[0]?.error.code, 'not-found');
  assert.deepEqual(answers[0], answers[1]);
  board = await openBoard(next);
  assert.deepEqual(board.board?.learners, [], 'the new workshop has no learners of the earlier one');
  await board.close();
  await stop(next);
});
