/**
 * The workshop's two HTTP endpoints: joining (POST JOIN_PATH with the join token and a display
 * name; answers the learner's credential) and the CSV export (GET EXPORT_PATH with the
 * facilitator token as a Bearer token). Both check the Host header, take the Origin allowlist
 * (a static site served elsewhere posts cross-origin: CORS preflights are answered for listed
 * origins only), and answer every refusal with a status and, for joins, a JoinRefusal.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { decodeJoinRequest, EXPORT_PATH, JOIN_PATH, MAX_JOIN_BODY_BYTES, type JoinRefusal } from '../../src/protocol/wire.ts';
import type { Logger } from '../log.ts';
import type { WorkshopRecord } from './types.ts';

/**
 * Joins per client address and window. A classroom behind one NAT address joins 30 people in a
 * minute, and some of them twice (a second browser, a typo in the name): 60 joins in 10 minutes
 * is twice that, while a script guessing join tokens gets 60 guesses per 10 minutes per address.
 */
export const JoinLimit = { points: 60, windowSeconds: 600 } as const;

/** How long a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export interface WorkshopHttpOptions {
  /** Exact Origins allowed (the runner's own, or --origins). */
  origins: readonly string[];
  /** Host headers this runner answers to. */
  hosts: ReadonlySet<string>;
}

/** A handler for the workshop's paths: true when it answered the request (its path was one of them). */
export type WorkshopHttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function workshopHttp(record: WorkshopRecord, options: WorkshopHttpOptions, log: Logger): WorkshopHttpHandler {
  const joins = new RateLimiterMemory({ points: JoinLimit.points, duration: JoinLimit.windowSeconds });
  const http = log.child({ part: 'workshop-http' });

  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== JOIN_PATH && path !== EXPORT_PATH) return false;
    res.setHeader('Cache-Control', 'no-store');
    if (!options.hosts.has(req.headers.host ?? '')) {
      plain(res, 421, 'This runner does not answer to that Host.\n');
      return true;
    }
    const origin = req.headers.origin;
    const allowed = origin !== undefined && options.origins.includes(origin);
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      // A page on another origin reads how long to wait (429) and the export's file name.
      res.setHeader('Access-Control-Expose-Headers', 'Retry-After, Content-Disposition');
    }
    res.setHeader('Vary', 'Origin');
    const isJoin = path === JOIN_PATH;
    if (req.method === 'OPTIONS') {
      if (!allowed) {
        plain(res, 403, 'That Origin is not allowed here.\n');
        return true;
      }
      res.statusCode = 204;
      res.setHeader('Access-Control-Allow-Methods', isJoin ? 'POST' : 'GET');
      res.setHeader('Access-Control-Allow-Headers', isJoin ? 'content-type' : 'authorization');
      res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
      res.end();
      return true;
    }
    if (isJoin) {
      // A join always comes from a page, and browsers send Origin with every POST.
      if (!allowed) refuseJoin(res, 403, 'forbidden', 'That Origin is not allowed to join this workshop.');
      else if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST, OPTIONS');
        refuseJoin(res, 405, 'bad-request', 'Join with POST.');
      } else void handleJoin(req, res).catch((error: unknown) => {
        http.error('join failed', { error });
        if (!res.headersSent) plain(res, 500, 'The runner could not handle that join.\n');
      });
      return true;
    }
    // The export: same-origin GETs carry no Origin; one that is there must be listed.
    if (origin !== undefined && !allowed) plain(res, 403, 'That Origin is not allowed here.\n');
    else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD, OPTIONS');
      plain(res, 405, 'Fetch the export with GET.\n');
    } else handleExport(req, res);
    return true;
  };

  async function handleJoin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = req.socket.remoteAddress ?? 'unknown';
    try {
      await joins.consume(address);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))));
      http.warn('joins over the limit', { address });
      return refuseJoin(res, 429, 'too-many', `Too many joins from this address; try again in ${Math.ceil(rejection.msBeforeNext / 60_000)} min.`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') return refuseJoin(res, 415, 'bad-request', 'A join is JSON: send Content-Type: application/json.');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_JOIN_BODY_BYTES) return refuseTooLarge(req, res);
    const body = await readBody(req, MAX_JOIN_BODY_BYTES);
    if (body === null) return refuseTooLarge(req, res);
    const decoded = decodeJoinRequest(body);
    if (!decoded.ok) {
      return refuseJoin(res, 400, 'bad-request', decoded.code === 'not-json' ? 'The join request is not JSON.' : `The join request is not valid: ${decoded.detail}`);
    }
    const result = record.join(decoded.message.join, decoded.message.name);
    if (!result.ok) return refuseJoin(res, result.status, result.refusal.error, result.refusal.message);
    http.info('learner joined', { learner: result.response.learner });
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(result.response));
  }

  function handleExport(req: IncomingMessage, res: ServerResponse): void {
    const authorization = req.headers.authorization ?? '';
    const bearer = /^Bearer ([^\s]+)$/i.exec(authorization)?.[1];
    const presenter = bearer === undefined ? { role: 'nobody' as const } : record.authenticate(bearer);
    if (presenter.role === 'join' || presenter.role === 'learner') return plain(res, 403, 'Only the facilitator can export the progress.\n');
    if (presenter.role !== 'facilitator') {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return plain(res, 401, 'The export needs the facilitator token: Authorization: Bearer <token>.\n');
    }
    const csv = record.exportCsv();
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${csvFileName(record.summary.name)}"`);
    res.setHeader('Content-Length', Buffer.byteLength(csv));
    res.end(req.method === 'HEAD' ? undefined : csv);
  }
}

/** The export's file name from the workshop's name: letters, digits, `.`, `_` and `-` only (a quote or a slash cannot reach the header). */
export function csvFileName(workshopName: string): string {
  const safe = workshopName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents, once decomposed
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return `${safe || 'workshop'}-progress.csv`;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(text);
}

function refuseJoin(res: ServerResponse, status: number, error: JoinRefusal['error'], message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  const refusal: JoinRefusal = { error, message };
  res.end(JSON.stringify(refusal));
}

/** 413, and the rest of the body is not read: the connection closes after the answer. */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  refuseJoin(res, 413, 'too-large', `A join request is at most ${MAX_JOIN_BODY_BYTES} bytes.`);
  res.once('finish', () => req.socket.destroy());
}

/** The body as UTF-8 text, or null as soon as it passes `limit` bytes (reading stops there). */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}
