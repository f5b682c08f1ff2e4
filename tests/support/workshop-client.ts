/**
 * The one way tests, the bench and the e2e talk to a runner in workshop mode: join over HTTP,
 * open a learner's lab socket with their credential, open the facilitator's board or a mirror,
 * fetch the CSV export. Each takes the runner started with `startRunner(env, ['--workshop', …])`.
 */
import { EXPORT_PATH, JOIN_PATH, type JoinRefusal, type JoinResponse } from '../../src/protocol/wire.ts';
import { LabClient, type HelloOptions } from '../../runner/client/lab-client.ts';
import { FacilitatorClient, facilitatorUrl } from '../../runner/client/facilitator-client.ts';
import type { RunningRunner, RunningWorkshop } from '../../runner/client/runner-process.ts';

export { FacilitatorClient } from '../../runner/client/facilitator-client.ts';

/** The runner's workshop, or a clear failure when it was not started in workshop mode. */
export function workshopOf(runner: RunningRunner): RunningWorkshop {
  if (!runner.workshop) throw new Error('this runner was not started in workshop mode (--workshop)');
  return runner.workshop;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** POSTs `body` (a string is sent as is) to the join endpoint with the runner's Origin unless `headers` say otherwise. */
export async function postJoin(runner: RunningRunner, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(`${runner.url}${JOIN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: runner.origin, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** Joins as `name` with the workshop's join token (or `options.join`); throws with the refusal when refused. */
export async function join(runner: RunningRunner, name: string, options: { join?: string; headers?: Record<string, string> } = {}): Promise<JoinResponse> {
  const answer = await postJoin(runner, { join: options.join ?? workshopOf(runner).join, name }, options.headers);
  if (answer.status !== 200) {
    const refusal = JSON.parse(answer.body) as JoinRefusal;
    throw Object.assign(new Error(`join refused: ${answer.status} ${refusal.error}: ${refusal.message}`), { status: answer.status, refusal });
  }
  return JSON.parse(answer.body) as JoinResponse;
}

/**
 * A learner's lab socket (their credential as the token) with its hello sent. It does not wait:
 * the answer may be `welcome` or `queued` (`client.message('welcome')`, `client.message('queued')`).
 */
export async function openLearner(runner: RunningRunner, credential: string, hello: HelloOptions = {}): Promise<LabClient> {
  const client = await LabClient.connect(runner.wsUrl, { token: credential, origin: runner.origin });
  client.hello(hello);
  return client;
}

/** A learner's lab socket, welcomed, with a shell that ran its first command. */
export async function openLearnerSession(runner: RunningRunner, credential: string, hello: HelloOptions = {}): Promise<LabClient> {
  const client = await openLearner(runner, credential, hello);
  await client.message('welcome');
  const { exitCode } = await client.run('true');
  if (exitCode !== 0) throw new Error(`the learner's shell did not run a command (exit ${exitCode})`);
  return client;
}

/** A facilitator socket, before its hello; rejects with `status` when the upgrade is refused. */
export function connectFacilitator(runner: RunningRunner, token: string = workshopOf(runner).facilitator): Promise<FacilitatorClient> {
  return FacilitatorClient.connect(facilitatorUrl(runner.url), { token, origin: runner.origin });
}

/** The facilitator's board: connected, hello sent, first board received. */
export async function openBoard(runner: RunningRunner, token?: string): Promise<FacilitatorClient> {
  const board = await connectFacilitator(runner, token);
  board.boardHello();
  await board.message('board');
  return board;
}

/** A read-only mirror of `learner`'s terminal, hello sent (the answer is `mirror` or `error`). */
export async function openMirror(runner: RunningRunner, learner: string, terminal?: string, token?: string): Promise<FacilitatorClient> {
  const mirror = await connectFacilitator(runner, token);
  mirror.mirrorHello(learner, terminal);
  return mirror;
}

/** The upgrade's HTTP status on the facilitator's socket with `token`: 101 when it opened (it is closed again). */
export async function facilitatorUpgradeStatus(runner: RunningRunner, token: string): Promise<number> {
  try {
    const client = await connectFacilitator(runner, token);
    await client.close();
    return 101;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === undefined) throw error;
    return status;
  }
}

/** The lab socket's upgrade status with `token` (a learner credential opens it: 101). */
export async function labUpgradeStatus(runner: RunningRunner, token: string): Promise<number> {
  try {
    const client = await LabClient.connect(runner.wsUrl, { token, origin: runner.origin });
    await client.close();
    return 101;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === undefined) throw error;
    return status;
  }
}

/** GET the CSV export with `token` as the Bearer token (the facilitator's by default; null sends none). */
export async function fetchExport(runner: RunningRunner, token: string | null = workshopOf(runner).facilitator, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(`${runner.url}${EXPORT_PATH}`, {
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}
