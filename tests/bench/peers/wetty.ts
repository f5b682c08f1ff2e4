/**
 * WeTTY, the closest peer (xterm + node-pty over socket.io): installed once, at one exact version,
 * into .lab/bench/wetty with the Node that runs the benchmark (its node-pty builds natively against
 * it), and started as root on loopback with a bare bash, so its shell starts as fast as it can.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForHttp } from './net.ts';

export const WETTY_VERSION = '3.2.0';
/** The shell WeTTY runs: no rc files, so nothing of this machine's setup slows it down. */
export const WETTY_COMMAND = 'bash --norc --noprofile';
const DIR = fileURLToPath(new URL('../../../.lab/bench/wetty/', import.meta.url));
const PACKAGE_DIR = join(DIR, 'node_modules/wetty');
const MAIN = join(PACKAGE_DIR, 'build/main.js');
const PTY_ADDON = join(DIR, 'node_modules/node-pty/build/Release/pty.node');
/** npm install fetches ~220 packages and compiles node-pty. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 20_000;

export interface WettyInstall {
  version: string;
  xtermVersion: string;
  socketIoVersion: string;
}

function versionOf(packageDir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null; // not installed
  }
}

function installed(): WettyInstall | null {
  if (versionOf(PACKAGE_DIR) !== WETTY_VERSION || !existsSync(PTY_ADDON)) return null;
  return {
    version: WETTY_VERSION,
    xtermVersion: versionOf(join(DIR, 'node_modules/@xterm/xterm')) ?? '?',
    socketIoVersion: versionOf(join(DIR, 'node_modules/socket.io')) ?? '?',
  };
}

function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  const nodeBin = dirname(process.execPath);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: DIR,
      // The same Node (and its headers) as the benchmark, so node-pty is built for it.
      env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH ?? ''}`, npm_config_nodedir: process.env.npm_config_nodedir ?? dirname(nodeBin) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), INSTALL_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output.slice(-4000)}`));
    });
    child.on('error', reject);
    log(`  ${command} ${args.join(' ')}`);
  });
}

/** Installs WeTTY at WETTY_VERSION unless that version is already there, built. */
export async function ensureWetty(log: (line: string) => void): Promise<WettyInstall> {
  const ready = installed();
  if (ready) return ready;
  log(`installing wetty@${WETTY_VERSION} into .lab/bench/wetty (once)`);
  mkdirSync(DIR, { recursive: true });
  writeFileSync(
    join(DIR, 'package.json'),
    `${JSON.stringify({ name: 'lab-bench-wetty', private: true, description: 'The peer of npm run bench', dependencies: { wetty: WETTY_VERSION }, allowScripts: { 'node-pty': true } }, null, 2)}\n`,
  );
  const npm = join(dirname(process.execPath), 'npm');
  await run(existsSync(npm) ? npm : 'npm', ['install', '--no-audit', '--no-fund', '--save-exact', `wetty@${WETTY_VERSION}`], log);
  // npm may skip install scripts it was not told to allow; node-pty must be compiled.
  if (!existsSync(PTY_ADDON)) await run(existsSync(npm) ? npm : 'npm', ['rebuild', 'node-pty'], log);
  const done = installed();
  if (!done) throw new Error(`wetty@${WETTY_VERSION} did not install with a built node-pty in ${DIR}`);
  return done;
}

export interface RunningWetty {
  url: string;
  pid: number;
  process: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts WeTTY as the benchmark's user (root here, so it runs the command instead of `login`).
 * `env` adds to its environment (NODE_OPTIONS to profile it).
 */
export async function startWetty(env: Record<string, string> = {}): Promise<RunningWetty> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', String(port), '--command', WETTY_COMMAND], {
    cwd: process.env.HOME ?? DIR,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/`, START_TIMEOUT_MS, () => child.exitCode !== null);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`wetty did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  if (child.pid === undefined) throw new Error('wetty has no pid');
  return {
    url,
    pid: child.pid,
    process: child,
    logs: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
