/**
 * One configured listener: an HTTP or HTTPS server per bind address, all on the same port (port 0
 * picks a free port once and reuses it for the other addresses). Closing stops accepting, lets
 * in-flight requests finish, and cuts what is still open after a grace period. A handler can outlive
 * its connection (a client that drops a long poll), so closing also waits for the handlers
 * themselves: the database must not close under a request that is still running.
 */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.ts';

export interface ListenerSpec {
  port: number;
  bindAddresses: string[];
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export class HttpListener {
  private constructor(
    private readonly servers: Server[],
    readonly tls: boolean,
    private readonly handlers: HandlersInFlight,
  ) {}

  static async start(spec: ListenerSpec, requestListener: RequestListener, logger: Logger): Promise<HttpListener> {
    const handlers = new HandlersInFlight();
    const handler = handlers.track(requestListener);
    const servers: Server[] = [];
    let port = spec.port;
    try {
      for (const address of spec.bindAddresses) {
        const server = spec.tls ? createHttpsServer({ cert: spec.tls.cert, key: spec.tls.key }, handler) : createHttpServer(handler);
        server.keepAliveTimeout = 75_000;
        try {
          await listen(server, port, address);
        } catch (error) {
          if (spec.bindAddresses.length > 1 && isHarmlessBindFailure(error as NodeJS.ErrnoException, address, spec.bindAddresses)) {
            logger.warn({ address, port, code: (error as NodeJS.ErrnoException).code }, 'skipping bind address');
            continue;
          }
          throw error;
        }
        port = (server.address() as AddressInfo).port;
        servers.push(server);
      }
      if (servers.length === 0) throw new Error(`could not bind any of ${spec.bindAddresses.join(', ')} on port ${spec.port}`);
    } catch (error) {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      throw error;
    }
    return new HttpListener(servers, spec.tls !== undefined, handlers);
  }

  get addresses(): AddressInfo[] {
    return this.servers.map((s) => s.address() as AddressInfo);
  }

  get port(): number {
    return this.addresses[0]!.port;
  }

  /** Stops accepting, waits for in-flight requests up to `graceMs`, then closes what remains. */
  async close(graceMs = 10_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => server.closeAllConnections(), graceMs);
            server.close(() => {
              clearTimeout(timer);
              resolve();
            });
            server.closeIdleConnections();
          }),
      ),
    );
    await this.handlers.settled(Math.max(0, deadline - Date.now()));
  }
}

/** Counts request handlers that have not finished, whether or not their connection is still open. */
class HandlersInFlight {
  private running = 0;
  private readonly idle = new Set<() => void>();

  track(listener: RequestListener): RequestListener {
    return (req, res) => {
      this.running++;
      const done = () => {
        if (--this.running === 0) for (const wake of [...this.idle]) wake();
      };
      Promise.resolve((listener as (...args: Parameters<RequestListener>) => unknown)(req, res)).then(done, done);
    };
  }

  /** Resolves when no handler runs, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.idle.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.idle.add(finish);
    });
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: host.includes(':') && host !== '::' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A host without IPv6 cannot bind ::1, and '::' already covers 0.0.0.0 on dual-stack hosts:
 * with another address bound, neither should stop the server.
 */
function isHarmlessBindFailure(error: NodeJS.ErrnoException, address: string, all: string[]): boolean {
  if (address.includes(':')) return error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT';
  return error.code === 'EADDRINUSE' && address === '0.0.0.0' && all.includes('::');
}
