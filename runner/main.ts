/** Wires the runner together: config, engine, sandbox provider, sessions, server. No logic here. */
import { randomBytes } from 'node:crypto';
import { ConfigError, parseConfig, readSettings } from './config.ts';
import { connectEngine, pingEngine } from './docker.ts';
import { createLogger } from './log.ts';
import { DindProvider, dindOptions } from './sandbox/dind.ts';
import { HostProvider } from './sandbox/host.ts';
import type { SandboxProvider } from './sandbox/provider.ts';
import { startServer, StartupError, type RunnerServer } from './server.ts';
import { SessionRegistry } from './session.ts';

const log = createLogger({ level: process.env.LAB_LOG_LEVEL === 'debug' ? 'debug' : 'info' });

let config;
try {
  config = parseConfig(readSettings(process.env, process.argv.slice(2)), () => randomBytes(24).toString('base64url'));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const docker = connectEngine();
const provider: SandboxProvider =
  config.provider === 'host'
    ? new HostProvider(docker)
    : new DindProvider(docker, dindOptions(config), log);
const registry = new SessionRegistry(
  provider,
  { idleTimeout: config.idleTimeout, maxLifetime: config.maxLifetime, reconnectGrace: config.reconnectGrace, maxTerminals: config.maxTerminals },
  config.maxSessions,
  log,
);

let engineUp = false;
try {
  const version = await pingEngine(docker);
  log.info('docker engine answers', { version });
  await provider.sweep();
  engineUp = true;
} catch (error) {
  // The site still serves; each new session is told plainly that the engine is not there.
  log.error('docker engine unavailable', { error });
  process.stderr.write(`${(error as Error).message}\n`);
}

let server: RunnerServer;
try {
  server = await startServer(config, registry, log);
} catch (error) {
  // Nothing was started yet (the warm pool waits for the port), so nothing is left to remove.
  if (!(error instanceof StartupError)) throw error;
  log.error('runner could not start', { error });
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
// Sandboxes boot ahead of demand only once readers can reach the runner.
if (engineUp && provider instanceof DindProvider) provider.warmUp();
log.info('runner listening', { url: server.url, origins: server.origins, provider: provider.kind, site: config.siteDir || null });
// The one place the token is shown: the start command's user opens this link.
process.stderr.write(`\nDocker Network Lab is live: ${server.url}/#lab-token=${config.token}\n\n`);
process.send?.({ type: 'listening', url: server.url, port: server.port, token: config.token });

/**
 * A stop that takes longer than this (a sandbox stuck booting) is cut short. Removing 50 sandboxes
 * takes about 18 s on 2 cores (tests/bench/RESULTS.md); init systems wait 90 s before a SIGKILL.
 */
const STOP_DEADLINE_MS = 60_000;

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('runner stopping', { signal });
  setTimeout(() => {
    log.error('stop took too long; exiting with sandboxes possibly left for the next start to sweep');
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
  // Sessions first, so their readers get `ended: shutdown` before the sockets close.
  const sandboxesRemoved = registry.shutdown();
  await server.close();
  await sandboxesRemoved;
  await provider.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
