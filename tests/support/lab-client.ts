/** The protocol client lives with the runner's other clients; tests import it from here too. */
import { LabClient, type ConnectOptions, type HelloOptions } from '../../runner/client/lab-client.ts';
import type { RunningRunner } from '../../runner/client/runner-process.ts';

export { LabClient, withoutOsc, type ConnectOptions } from '../../runner/client/lab-client.ts';

/** A socket to `runner` with its token and Origin, before any hello. */
export function connectTo(runner: RunningRunner, options: Partial<ConnectOptions> = {}): Promise<LabClient> {
  return LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin, ...options });
}

/**
 * The one way tests open a session: connect, hello, welcome and, unless `shell: false`, the
 * shell's first prompt (a command ran and finished in it).
 */
export async function openSession(runner: RunningRunner, options: { hello?: HelloOptions; shell?: boolean; welcomeTimeoutMs?: number } = {}): Promise<LabClient> {
  const client = await connectTo(runner);
  client.hello(options.hello);
  await client.message('welcome', options.welcomeTimeoutMs);
  if (options.shell !== false) {
    const { exitCode } = await client.run('true');
    if (exitCode !== 0) throw new Error(`the new session's shell did not run a command (exit ${exitCode})`);
  }
  return client;
}
