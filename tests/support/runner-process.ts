/** The runner child process lives with the runner's other clients; tests import it from here too. */
export { startRunner, type RunningRunner } from '../../runner/client/runner-process.ts';
