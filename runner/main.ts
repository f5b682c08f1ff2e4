/** Wires the runner together: config, engine, sandbox provider, sessions, server. No logic here. */
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { ConfigError, parseConfig, readSettings } from './config.ts';
import { connectEngine, pingEngine } from './docker.ts';
import { createLogger } from './log.ts';
import { DindProvider, dindOptions } from './sandbox/dind.ts';
import { HostProvider } from './sandbox/host.ts';
import type { SandboxProvider } from './sandbox/provider.ts';
import { startServer, StartupError, type RunnerServer } from './server.ts';
import { SessionRegistry } from './session.ts';
import { capacityCheck, lanAddresses, readMeminfo, servingHint, startReport, workshopLinks } from './workshop/capacity.ts';
import { openWorkshop, type OpenedWorkshop } from './workshop/open.ts';
import { StoreError } from './workshop/store.ts';

const log = createLogger({ level: process.env.LAB_LOG_LEVEL === 'debug' ? 'debug' : 'info' });

let config;
try {
  config = parseConfig(readSettings(process.env, process.argv.slice(2)), () => randomBytes(24).toString('base64url'));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

// The workshop's record opens before anything listens: a store that cannot be used stops the start.
let workshop: OpenedWorkshop | null = null;
if (config.workshop) {
  try {
    workshop = openWorkshop({
      dataDir: config.workshop.dataDir,
      name: config.workshop.name,
      capacity: config.workshop.learners,
      durationS: config.workshop.duration,
      stuckAfterS: config.workshop.stuckAfter,
    });
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
const record = workshop?.record ?? null;

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
  record ? { record, sandboxMemoryBytes: config.sandboxMemory } : null,
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
  server = await startServer(config, registry, log, record);
} catch (error) {
  // Nothing was started yet (the warm pool waits for the port), so nothing is left to remove.
  if (!(error instanceof StartupError)) throw error;
  log.error('runner could not start', { error });
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
// Sandboxes boot ahead of demand only once readers can reach the runner.
if (engineUp && provider instanceof DindProvider) provider.warmUp();
// An ended workshop takes no new learner: its warm sandboxes go with the sessions' (the registry ends those).
record?.onEnded(() => void provider.close());
log.info('runner listening', { url: server.url, origins: server.origins, provider: provider.kind, site: config.siteDir || null });
if (workshop && config.workshop) {
  // The one place the workshop's tokens are shown: the links the operator hands out.
  const opened = workshop.record;
  log.info('workshop open', { workshop: opened.summary.id, name: opened.summary.name, resumed: workshop.resumed, learners: opened.learnerCount, store: opened.file });
  process.stderr.write(
    startReport({
      name: opened.summary.name,
      endsAt: opened.summary.endsAt,
      endedAt: opened.endedAt,
      resumed: workshop.resumed,
      learnerCount: opened.learnerCount,
      endedOthers: workshop.endedOthers,
      links: workshopLinks(config.origins?.[0] ?? server.url, opened.tokens()),
      capacity: capacityCheck({
        learners: config.workshop.learners,
        sandboxMemoryBytes: config.sandboxMemory,
        warmSandboxes: config.warmSandboxes,
        meminfo: readMeminfo(),
        provider: provider.kind,
      }),
      serving: servingHint({ host: config.host, port: server.port, origins: config.origins, addresses: lanAddresses(networkInterfaces()) }),
      storeFile: opened.file,
    }) + '\n',
  );
} else {
  // The one place the token is shown: the start command's user opens this link.
  process.stderr.write(`\nDocker Network Lab is live: ${server.url}/#lab-token=${config.token}\n\n`);
}
process.send?.({
  type: 'listening',
  url: server.url,
  port: server.port,
  token: config.token,
  // Tests and the bench read the workshop's tokens from here.
  workshop: workshop ? { id: workshop.record.summary.id, name: workshop.record.summary.name, ...workshop.record.tokens() } : null,
});

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
  // The record last: ending sessions may still write their learners' last outcomes.
  record?.dispose();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
