/**
 * The runner's HTTP + WebSocket front: serves the built site, checks Host, Origin and token at
 * the upgrade, and turns each socket into a Connection that speaks the wire protocol to a session.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { constants, accessSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { relative, resolve, sep } from 'node:path';
import expressStaticGzip from 'express-static-gzip';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CloseCode,
  decodeClientMessage,
  encode,
  FACILITATOR_WS_PATH,
  MAX_CLIENT_FRAME_BYTES,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  WS_PATH,
  type ClientMessage,
  type HelloMessage,
  type ServerMessage,
} from '../src/protocol/wire.ts';
import { DisposableStore, MutableDisposable, toDisposable } from '../src/common/lifecycle.ts';
import { ownOrigins, type RunnerConfig } from './config.ts';
import type { Logger } from './log.ts';
import { refuse, type Session, type SessionRegistry } from './session.ts';
import { FacilitatorConnection } from './workshop/facilitator.ts';
import { workshopHttp, type WorkshopHttpHandler } from './workshop/http.ts';
import { SESSION_UNKNOWN_TEXT, type WaitingClient } from './workshop/room.ts';
import type { LearnerRef, Presenter, WorkshopRecord } from './workshop/types.ts';

/** A client that connects must say hello within this time. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Every socket is pinged this often; one that has not answered the previous ping is dropped, so
 * a half-open connection (a laptop gone to sleep) starts its session's reconnect grace period.
 */
const HEARTBEAT_MS = 30_000;

/**
 * HTTP statuses of a refused request or upgrade. Each is documented in the README.
 *   404 not the WebSocket path; 421 a Host header that is not this runner's (DNS rebinding);
 *   403 an Origin not on the allowlist, or none, or (workshop mode) a token that is valid but
 *   not for this endpoint: a learner's credential or the join token on the facilitator's socket;
 *   401 a missing or wrong token;
 *   429 too many refused upgrades from this address lately; 431 too many headers.
 */
export const UpgradeStatus = { notFound: 404, misdirected: 421, forbidden: 403, unauthorized: 401, tooMany: 429, headersTooLarge: 431 } as const;

/**
 * Refused upgrades allowed per client address and window. Beyond them every upgrade from that
 * address is answered 429 at once, unchecked, until the window ends: guessing tokens, or a flood
 * of handshakes, costs the runner almost nothing. Honest pages never come near it (one upgrade
 * per terminal, and reconnects back off).
 */
export const RefusedUpgradeLimit = { points: 20, windowSeconds: 2 } as const;

/** Headers in one request. Browsers send about 20; Node itself stops at 16 KiB of them (431). */
export const MAX_HEADERS = 100;

/**
 * Bytes queued on one socket that its client has not read. Flow control keeps an honest client
 * far below (at most the window plus a replay, a few hundred KB); a client that
 * acknowledges output without reading it is cut off here, and its session waits for it to reconnect.
 */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * The runner cannot start, for a reason the person who started it can fix: one line that says
 * what and which setting to change. main.ts prints it and exits 1.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Throws a StartupError unless `dir` is a folder this process can list and read. */
export function checkSiteDir(dir: string): void {
  const named = `The site folder ${dir} (--site-dir, LAB_SITE_DIR)`;
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new StartupError(`${named} does not exist: build the site with npm run build, or point the setting at a built one.`);
    throw new StartupError(`${named} cannot be read (${code ?? (error as Error).message}).`);
  }
  if (!isFolder) throw new StartupError(`${named} is not a folder: point the setting at the built site (dist).`);
  try {
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (error) {
    throw new StartupError(`${named} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'permission denied'}): give the runner's user read access to it.`);
  }
}

/** Why listen() failed, in one line that names the setting to change. */
export function listenFailure(error: NodeJS.ErrnoException, host: string, port: number): StartupError | null {
  switch (error.code) {
    case 'EADDRINUSE':
      return new StartupError(`Port ${port} on ${host} is already in use: stop what holds it, or choose another port with --port or LAB_PORT.`);
    case 'EACCES':
      return new StartupError(`Port ${port} on ${host} needs privileges this user does not have: choose a port above 1023 with --port or LAB_PORT.`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_NONAME':
      return new StartupError(`Cannot listen on ${host}: it is not an address of this machine; choose another with --host or LAB_HOST (127.0.0.1 keeps the runner on loopback).`);
    default:
      return null;
  }
}

/**
 * Cache lifetimes of the site's files. Astro names the files under `_astro/` by a hash of their
 * content: a new build makes new names, so a browser may keep them for good. Everything else
 * (pages, the favicon, the search index) keeps its name across builds: revalidated each time.
 */
export const SiteCache = {
  hashed: 'public, max-age=31536000, immutable',
  other: 'no-cache',
} as const;
const HASHED_ASSETS = `_astro${sep}`;

/**
 * The built site, brotli or gzip when the client accepts it and the build made the copy
 * (src/build/precompress.ts), else as is. express-static-gzip picks the copy and hands the
 * request to serve-static, which looks each file up per request and answers a file that vanished
 * (a rebuild of dist/ while the runner serves it) with 404, never a crash.
 */
function siteHandler(siteDir: string): (req: IncomingMessage, res: ServerResponse, next: (error?: { status?: number }) => void) => void {
  const root = resolve(siteDir);
  const serve = expressStaticGzip(root, {
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    index: 'index.html',
    serveStatic: {
      extensions: ['html'],
      fallthrough: true,
      setHeaders: (res: ServerResponse, file: string) => {
        res.setHeader('Cache-Control', relative(root, file).startsWith(HASHED_ASSETS) ? SiteCache.hashed : SiteCache.other);
      },
    },
  });
  return (req, res, next) => {
    // The library reads Express's `req.path`: the URL's path as sent, before the query (not
    // normalised; serve-static then refuses a path that climbs out of the site).
    Object.defineProperty(req, 'path', { configurable: true, get: () => (req.url ?? '/').split('?')[0] });
    serve(req, res, next);
  };
}

export interface RunnerServer {
  readonly url: string;
  readonly port: number;
  readonly origins: readonly string[];
  close(): Promise<void>;
}

/**
 * `workshop`: the open workshop's record in workshop mode (then /lab/ws takes learner credentials
 * only, and the join, export and facilitator endpoints answer); null outside it.
 */
export async function startServer(config: RunnerConfig, registry: SessionRegistry, log: Logger, workshop: WorkshopRecord | null = null): Promise<RunnerServer> {
  if (config.siteDir) checkSiteDir(config.siteDir);
  const site = config.siteDir ? siteHandler(config.siteDir) : null;
  const room = registry.room;
  if ((workshop === null) !== (room === null)) throw new Error('startServer: the registry and the server must both be in workshop mode, or neither');
  /** The workshop's join and export endpoints; set once the origins are known (at listen). */
  let workshopRoutes: WorkshopHttpHandler | null = null;
  const server = createServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (tooManyHeaders(req)) {
      res.statusCode = UpgradeStatus.headersTooLarge;
      res.setHeader('Connection', 'close');
      res.end('Too many headers\n');
      return;
    }
    if (req.url === '/lab/health') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: true, sessions: registry.size }));
      return;
    }
    if (workshopRoutes?.(req, res)) return;
    if (!site) {
      res.statusCode = 404;
      res.end('This runner serves no site. Build it with `npm run build` and set LAB_SITE_DIR=dist.\n');
      return;
    }
    site(req, res, (error?: { status?: number }) => {
      // A path that climbs out of the site (serve-static's 403) is, to the client, not there.
      res.statusCode = error?.status === 403 ? 404 : (error?.status ?? 404);
      res.end(res.statusCode === 404 ? 'Not found\n' : 'Cannot serve this file\n');
    });
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenFailure(error, config.host, config.port) ?? error);
    server.once('error', failed);
    server.listen(config.port, config.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origins = config.origins ?? ownOrigins(config.host, port);
  const hosts = allowedHosts(origins, config.host, port, config.hosts);
  const token = Buffer.from(config.token);
  if (workshop) workshopRoutes = workshopHttp(workshop, { origins, hosts }, log);

  const refusals = new RateLimiterMemory({ points: RefusedUpgradeLimit.points, duration: RefusedUpgradeLimit.windowSeconds });
  const refuseUpgrade = (socket: Duplex, status: number, headers = '') =>
    socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\n${headers}Content-Length: 0\r\n\r\n`, () => socket.destroy());

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // After 'upgrade' the socket has no error listener; a peer that resets it must not crash the runner.
    socket.on('error', () => {});
    void admit(req, socket, head).catch((error: unknown) => {
      log.error('upgrade failed', { error });
      socket.destroy();
    });
  });

  const admit = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const spent = await refusals.get(address);
    if (spent && spent.consumedPoints >= RefusedUpgradeLimit.points) {
      refuseUpgrade(socket, UpgradeStatus.tooMany, `Retry-After: ${Math.max(1, Math.ceil(spent.msBeforeNext / 1000))}\r\n`);
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    const checked: UpgradeCheck = tooManyHeaders(req)
      ? { status: UpgradeStatus.headersTooLarge }
      : path === WS_PATH
        ? checkLabUpgrade(req, hosts, origins, token, workshop)
        : workshop && path === FACILITATOR_WS_PATH
          ? checkFacilitatorUpgrade(req, hosts, origins, workshop)
          : { status: UpgradeStatus.notFound };
    if ('status' in checked) {
      const status = checked.status;
      refusals.consume(address).catch(() => log.warn('refused upgrades over the limit; answering 429 for a while', { address }));
      log.warn('upgrade refused', { status, path, origin: req.headers.origin ?? null, host: req.headers.host ?? null });
      refuseUpgrade(socket, status);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      if (checked.role === 'facilitator' && workshop && room) new FacilitatorConnection(ws, { registry, room, record: workshop, log });
      else new Connection(ws, registry, log, checked.role === 'learner' && workshop ? { learner: checked.learner, record: workshop } : null);
    });
  };

  /** What close() releases, newest first: the heartbeat, the sockets, the WebSocket and HTTP servers. */
  const store = new DisposableStore();
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  store.add(toDisposable(() => {
    server.close();
    server.closeAllConnections();
  }));
  store.add(toDisposable(() => wss.close()));
  store.add(toDisposable(() => {
    for (const ws of wss.clients) ws.close(CloseCode.goingAway, 'shutdown');
  }));
  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  store.add(toDisposable(() => clearInterval(heartbeat)));

  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return {
    url,
    port,
    origins,
    close: () => {
      store.dispose();
      return closed;
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
};

function tooManyHeaders(req: IncomingMessage): boolean {
  return req.rawHeaders.length / 2 > MAX_HEADERS;
}

function allowedHosts(origins: readonly string[], host: string, port: number, extra: readonly string[]): Set<string> {
  const hosts = new Set([...origins.map((origin) => new URL(origin).host), ...extra]);
  hosts.add(`${host.includes(':') ? `[${host}]` : host}:${port}`);
  return hosts;
}

/** An upgrade that may go ahead (who presented what), or the HTTP status to refuse it with. */
type UpgradeCheck = { status: number } | { role: 'reader' } | { role: 'learner'; learner: LearnerRef } | { role: 'facilitator' };

/** Host and Origin: null when both are this runner's, else the status to refuse with. */
function checkHostAndOrigin(req: IncomingMessage, hosts: Set<string>, origins: readonly string[]): number | null {
  if (!hosts.has(req.headers.host ?? '')) return UpgradeStatus.misdirected;
  const origin = req.headers.origin;
  if (origin === undefined || !origins.includes(origin)) return UpgradeStatus.forbidden;
  return null;
}

/** The token offered as the `lab.token.<token>` subprotocol, if any. */
function presentedToken(req: IncomingMessage): string | undefined {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return offered.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
}

/** Who presented `given` to the workshop's record (constant-time there); nobody for no token. */
function presenter(workshop: WorkshopRecord, given: string | undefined): Presenter {
  return given === undefined ? { role: 'nobody' } : workshop.authenticate(given);
}

/** The lab socket: the runner's token, or in workshop mode a learner's credential and nothing else. */
function checkLabUpgrade(req: IncomingMessage, hosts: Set<string>, origins: readonly string[], token: Buffer, workshop: WorkshopRecord | null): UpgradeCheck {
  const status = checkHostAndOrigin(req, hosts, origins);
  if (status !== null) return { status };
  const presented = presentedToken(req);
  if (workshop) {
    const who = presenter(workshop, presented);
    return who.role === 'learner' ? { role: 'learner', learner: who.learner } : { status: UpgradeStatus.unauthorized };
  }
  if (presented === undefined) return { status: UpgradeStatus.unauthorized };
  const given = Buffer.from(presented);
  if (given.length !== token.length || !timingSafeEqual(given, token)) return { status: UpgradeStatus.unauthorized };
  return { role: 'reader' };
}

/** The facilitator's socket: the facilitator token; a join token or a learner's credential is known but not enough (403). */
function checkFacilitatorUpgrade(req: IncomingMessage, hosts: Set<string>, origins: readonly string[], workshop: WorkshopRecord): UpgradeCheck {
  const status = checkHostAndOrigin(req, hosts, origins);
  if (status !== null) return { status };
  const who = presenter(workshop, presentedToken(req));
  if (who.role === 'facilitator') return { role: 'facilitator' };
  return { status: who.role === 'nobody' ? UpgradeStatus.unauthorized : UpgradeStatus.forbidden };
}

/** One socket: decodes frames, holds the handshake, and routes messages to its session. */
class Connection implements WaitingClient {
  readonly #ws: WebSocket;
  readonly #registry: SessionRegistry;
  readonly #log: Logger;
  /** Workshop mode: whose socket this is, and their record. */
  readonly #workshop: { learner: LearnerRef; record: WorkshopRecord } | null;
  #session: Session | null = null;
  #terminal = '';
  /** Workshop mode: the hello arrived and waits in the room's queue for a session. */
  #waiting = false;
  /**
   * The hello deadline, until the hello arrives or the socket closes. The socket's own listeners
   * go with the socket (an 'error' after close must still find its listener).
   */
  readonly #handshake = new MutableDisposable();
  /** Set once the runner closed this socket: frames still in flight are dropped, not acted on. */
  #closing = false;

  constructor(ws: WebSocket, registry: SessionRegistry, log: Logger, workshop: { learner: LearnerRef; record: WorkshopRecord } | null) {
    this.#ws = ws;
    this.#registry = registry;
    this.#log = log;
    this.#workshop = workshop;
    const handshake = setTimeout(() => refuse(this, 'handshake-required', 'No hello within 10 s.'), HANDSHAKE_TIMEOUT_MS);
    this.#handshake.value = toDisposable(() => clearTimeout(handshake));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.#onFrame(data, isBinary);
      } catch (error) {
        // One reader's bad luck (a pty that vanished mid-write) must not stop the runner for all.
        log.error('frame handling failed', { error });
        refuse(this, 'internal', 'The runner could not handle that message.');
      }
    });
    ws.on('close', () => {
      this.#handshake.dispose();
      if (this.#waiting) this.#registry.room?.leave(this);
      this.#session?.detach(this, this.#terminal);
    });
    ws.on('error', (error) => log.warn('socket error', { error }));
  }

  send(message: ServerMessage): void {
    if (this.#writable()) this.#ws.send(encode(message));
  }

  sendOutput(frame: Uint8Array): void {
    if (this.#writable()) this.#ws.send(frame, { binary: true });
  }

  #writable(): boolean {
    if (this.#ws.readyState !== this.#ws.OPEN) return false;
    if (this.#ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // Acknowledged but never read: flow control cannot hold this client back, so let it go.
      // What it missed stays in the replay buffer for when it reconnects.
      this.#log.warn('client does not read its socket; dropping it', { buffered: this.#ws.bufferedAmount });
      this.#closing = true;
      this.#ws.terminate();
      return false;
    }
    return true;
  }

  close(code: CloseCode, reason: string): void {
    this.#closing = true;
    this.#ws.close(code, reason);
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#closing) return;
    const decoded = decodeClientMessage(isBinary ? data : data.toString('utf8'));
    if (!decoded.ok) return refuse(this, 'bad-message', `${decoded.code}: ${decoded.detail}`);
    const message = decoded.message;
    if (!this.#session && !this.#waiting) {
      if (message.type !== 'hello') return refuse(this, 'handshake-required', 'The first message must be hello.');
      this.#handshake.dispose();
      return this.#hello(message);
    }
    // What the learner's page reports counts whether or not their sandbox is there yet.
    if (message.type === 'outcome' || message.type === 'location') return this.#report(message);
    if (message.type === 'hello') return refuse(this, 'bad-message', 'hello was already received on this socket.');
    const session = this.#session;
    if (!session) return; // waiting in the queue: there is no shell to type into, resize or reset yet
    switch (message.type) {
      case 'input':
        return session.input(this, this.#terminal, message.data);
      case 'resize':
        return session.resize(this, this.#terminal, message.cols, message.rows);
      case 'ack':
        return session.ack(this, this.#terminal, message.upTo);
      case 'reset':
        return session.reset(this, this.#terminal);
      case 'watch-topology':
        return session.watchTopology(this, this.#terminal, message.on);
    }
  }

  /** A block's outcome or the learner's place on the page, to the record; outside workshop mode, accepted and ignored. */
  #report(message: Extract<ClientMessage, { type: 'outcome' | 'location' }>): void {
    if (!this.#workshop) return;
    const { learner, record } = this.#workshop;
    if (message.type === 'outcome') record.recordOutcome(learner.id, message.page, message.block, message.outcome, message.exitCode);
    else record.recordLocation(learner.id, message.page, message.section);
  }

  #hello(hello: HelloMessage): void {
    const room = this.#registry.room;
    if (this.#workshop && room) {
      this.#waiting = true;
      return room.hello(this.#workshop.learner, this, hello);
    }
    let session: Session | null | undefined;
    if (hello.sessionId) {
      session = this.#registry.get(hello.sessionId);
      if (!session) return refuse(this, 'session-unknown', SESSION_UNKNOWN_TEXT);
    } else {
      session = this.#registry.create();
      if (!session) return refuse(this, 'capacity', 'The lab is full right now: every sandbox is in use. Try again in a few minutes.');
    }
    this.admitted(session, hello, hello.sessionId !== undefined);
  }

  /** Attaches this socket to `session` (at once outside workshop mode; when the room has a place in it). */
  admitted(session: Session, hello: HelloMessage, resumed: boolean): void {
    if (this.#closing) return;
    this.#waiting = false;
    this.#session = session;
    this.#terminal = hello.terminal;
    session.attach(this, hello, resumed).catch((error: unknown) => {
      this.#log.error('attach failed', { error });
      refuse(this, 'internal', 'The runner failed to attach this terminal.');
    });
  }
}
