/**
 * A real HTTP server whose answers a test scripts: a JSON body (or status) per path, for protocol
 * peers that misbehave in ways a Lattice server never would (forged key responses, bad notaries).
 */
import { createServer, type Server } from 'node:http';

export interface ScriptedAnswer {
  status?: number;
  json?: unknown;
}

export class ScriptedServer {
  /** Answers by request path (without the query); other paths get 404. */
  readonly answers = new Map<string, ScriptedAnswer | (() => ScriptedAnswer)>();
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<ScriptedServer> {
    let scripted: ScriptedServer | undefined;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0]!;
        scripted!.requests.push(`${req.method} ${path}`);
        const entry = scripted!.answers.get(path);
        const answer = typeof entry === 'function' ? entry() : (entry ?? { status: 404, json: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' } });
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json ?? {}));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    scripted = new ScriptedServer(server, `http://127.0.0.1:${address.port}`);
    return scripted;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
