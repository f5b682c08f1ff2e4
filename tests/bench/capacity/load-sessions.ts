/**
 * The sessions the runner is asked to hold: each one a protocol client with a headless xterm that
 * acknowledges output as the page does (LabClient). A session waits for its first prompt, does
 * what a reader does first (`docker network ls`, `ip addr`), then sits idle with its socket open.
 */
import { LabClient } from '../../support/lab-client.ts';
import type { RunningRunner } from '../../support/runner-process.ts';

/** A dind sandbox booting among many others on two cores can take long; past this it counts as failed. */
const PROMPT_TIMEOUT_MS = 240_000;
const COMMAND_TIMEOUT_MS = 60_000;
/** The reader's first commands, once the prompt shows. */
export const FIRST_COMMANDS = ['docker network ls', 'ip addr'] as const;

export interface LoadSession {
  client: LabClient | null;
  /** Hello to first prompt, ms; null when it never came. */
  promptMs: number | null;
  /** Both first commands done, ms after the hello. */
  workedMs: number | null;
  /** What went wrong, in the runner's words when it sent an error. */
  failure: string | null;
}

/**
 * Opens `count` sessions, at most `concurrency` of them waiting for their prompt at a time (readers
 * arriving as sessions free up a slot), and resolves once each is idle after its first commands
 * or has failed.
 */
export async function openSessions(runner: RunningRunner, count: number, concurrency: number, log: (line: string) => void): Promise<LoadSession[]> {
  const sessions: LoadSession[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const session = await openSession(runner);
      sessions[index] = session;
      done++;
      if (session.failure) log(`session ${index + 1}/${count} failed: ${session.failure}`);
      else if (done % Math.max(1, Math.round(count / 10)) === 0 || done === count) log(`${done}/${count} sessions idle after their first commands`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return sessions;
}

async function openSession(runner: RunningRunner): Promise<LoadSession> {
  const session: LoadSession = { client: null, promptMs: null, workedMs: null, failure: null };
  try {
    const client = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
    session.client = client;
    const start = performance.now();
    client.hello();
    await client.until(() => client.atShellPrompt, PROMPT_TIMEOUT_MS, 'the first prompt');
    session.promptMs = performance.now() - start;
    await client.parsed();
    for (const command of FIRST_COMMANDS) {
      const { exitCode, output } = await client.run(command, COMMAND_TIMEOUT_MS);
      if (exitCode !== 0) throw new Error(`${command} exited with ${exitCode}: ${output.slice(-200)}`);
    }
    session.workedMs = performance.now() - start;
  } catch (error) {
    const refused = session.client?.messages.find((m) => m.type === 'error' || m.type === 'ended');
    session.failure = refused ? JSON.stringify(refused) : (error as Error).message.slice(0, 300);
  }
  return session;
}

/** Closes every socket; the sessions then end when the runner stops (or after their grace period). */
export async function closeSessions(sessions: LoadSession[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.client?.close()));
}

/** Sessions whose socket is still open and that did their first commands: the ones held. */
export function held(sessions: LoadSession[]): LoadSession[] {
  return sessions.filter((s) => s.failure === null && s.client?.socket.readyState === s.client?.socket.OPEN);
}
