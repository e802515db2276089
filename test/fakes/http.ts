import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The machinery every fake platform server shares: a loopback HTTP server, a queue of
 * injected faults, the request log and route patterns. What a fake answers (bodies,
 * headers, error shapes, 429s) stays in the fake, as it differs per API.
 */

export interface FaultMatch {
  method?: string;
  /** Matched against the path without the query, e.g. /\/messages$/ */
  path?: RegExp;
  /** How many matching requests get the fault (default 1). */
  times?: number;
}

/**
 * The fake server's clock: real time plus whatever a test advanced it by, so "an hour
 * later" (when the server has forgotten idempotency keys) needs no sleeping.
 */
export class FakeClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** Faults waiting for matching requests, each used up after `times` of them. */
export class FaultQueue<F> {
  private readonly waiting: { fault: F; match: FaultMatch; left: number }[] = [];

  push(fault: F, match: FaultMatch = {}): void {
    this.waiting.push({ fault, match, left: match.times ?? 1 });
  }

  clear(): void {
    this.waiting.length = 0;
  }

  /** The fault for this request, if one is waiting for it. */
  take(method: string, path: string): F | undefined {
    const index = this.waiting.findIndex(
      (f) => f.left > 0 && (!f.match.method || f.match.method.toUpperCase() === method) && (!f.match.path || f.match.path.test(path)),
    );
    if (index < 0) return undefined;
    const entry = this.waiting[index]!;
    if (--entry.left <= 0) this.waiting.splice(index, 1);
    return entry.fault;
  }
}

/** Requests in a fake's log matching a method and a path pattern (faults included). */
export function countRequests(log: readonly { method: string; path: string }[], match: { method?: string; path?: RegExp } = {}): number {
  return log.filter((r) => (!match.method || r.method === match.method.toUpperCase()) && (!match.path || match.path.test(r.path))).length;
}

/** A route like `/channels/:id/messages` as a pattern capturing its parameters. */
export function routePattern(pattern: string, prefix = ''): RegExp {
  return new RegExp(`^${prefix}${pattern.replace(/:[a-z_]+/g, '([^/]+)')}$`);
}

/** A server on 127.0.0.1 and an ephemeral port. */
export async function listenOnLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  keepAliveTimeout?: number,
): Promise<Server> {
  const server = createServer((req, res) => void handle(req, res));
  if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export function portOf(server: Server | undefined, what: string): number {
  const address = server?.address() as AddressInfo | null | undefined;
  if (!address) throw new Error(`${what} is not listening`);
  return address.port;
}

/** Stops the server, dropping kept-alive connections so tests end at once. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What nginx in front of a server answers when the server is down. */
export function proxyErrorPage(status: number): string {
  const title = `${status} ${status === 502 ? 'Bad Gateway' : status === 504 ? 'Gateway Time-out' : 'Service Temporarily Unavailable'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
