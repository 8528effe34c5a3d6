/**
 * The server under test: `lattice start` as an operator runs it, a child process on a fresh SQLite
 * database in a temporary directory, with a generated configuration whose rate limits are lifted (the
 * load generator acts faster than people) and registration open (it makes its own users).
 * With `federation`, it also federates: it is named by the IP literal and port of an HTTPS listener
 * (`127.0.0.1:<port>`, server-server-api "Resolving server names" step 1, so other servers find it
 * without DNS) whose certificate comes from the throwaway test CA, and it trusts that CA and loopback
 * addresses for its own outbound requests. Clients use the same HTTPS listener, trusting `ca`.
 * LATTICE_BENCH_CPU_PROF=<dir> runs the child under `node --cpu-prof` for profiling;
 * LATTICE_BENCH_NODE_ARGS="--trace-gc ..." passes further flags to its node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { parseDocument } from 'yaml';
import { generateConfigText } from '../../src/config/generate-config.ts';
import { issueTestCertificate, testCertificateAuthority } from '../../spec-tests/harness/test-certificates.ts';

const bin = fileURLToPath(new URL('../../bin/lattice.js', import.meta.url));

// As spec-tests/harness/homeserver.ts: no limit a load generator could reach.
const noLimit = { per_second: 1_000_000, burst_count: 1_000_000 };
const unlimited = {
  rc_message: noLimit,
  rc_registration: noLimit,
  rc_login: { address: noLimit, account: noLimit, failed_attempts: noLimit },
  rc_joins: { local: noLimit },
  rc_invites: { per_user: noLimit },
};

export interface BenchServerOptions {
  /** Names the temporary directory (lattice-bench-<name>-…); 'client' by default. */
  name?: string;
  /** Federate over HTTPS as `127.0.0.1:<port>` with a certificate from the test CA (see above). */
  federation?: boolean;
}

export class BenchServer {
  private constructor(
    private process: ChildProcess,
    private readonly config: string,
    readonly baseUrl: string,
    readonly serverName: string,
    readonly dir: string,
    /** The CA that issued its certificate (PEM), when it serves HTTPS. */
    readonly ca: string | undefined,
  ) {}

  static async start(options: BenchServerOptions = {}): Promise<BenchServer> {
    const dir = mkdtempSync(join(tmpdir(), `lattice-bench-${options.name ?? 'client'}-`));
    const port = await freePort();
    const serverName = options.federation ? `127.0.0.1:${port}` : 'localhost';
    const scheme = options.federation ? 'https' : 'http';
    const document = parseDocument(generateConfigText({ serverName, port, publicBaseurl: `${scheme}://127.0.0.1:${port}/` }));
    document.setIn(['listeners', 0, 'bind_addresses'], ['127.0.0.1']);
    document.set('enable_registration', true);
    for (const [key, value] of Object.entries(unlimited)) document.set(key, value);
    const ca = options.federation ? await configureFederation(document, dir, serverName) : undefined;
    const config = join(dir, 'lattice.yaml');
    writeFileSync(config, document.toString());
    const baseUrl = `${scheme}://127.0.0.1:${port}`;
    const server = new BenchServer(spawnLattice(config, dir, 'w'), config, baseUrl, serverName, dir, ca);
    await server.waitUntilReady();
    return server;
  }

  get child(): ChildProcess {
    return this.process;
  }

  /** Stops the server and starts it again on its database and port (a server that was down). */
  async restart(whileDown: () => Promise<void> = async () => undefined): Promise<void> {
    await this.stopProcess();
    await whileDown();
    this.process = spawnLattice(this.config, this.dir, 'a');
    await this.waitUntilReady();
  }

  /** Current and peak resident memory of the server process, MiB (/proc/<pid>/status VmRSS, VmHWM). */
  memory(): { rssMiB: number; peakMiB: number } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const mib = (field: string) => Math.round((Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024) * 10) / 10;
    return { rssMiB: mib('VmRSS'), peakMiB: mib('VmHWM') };
  }

  /** CPU time the server has used so far (user + system), ms: all its threads, or its main thread only. */
  cpuMs(thread: 'all' | 'main' = 'all'): number {
    const file = thread === 'all' ? `/proc/${this.child.pid}/stat` : `/proc/${this.child.pid}/task/${this.child.pid}/stat`;
    const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** Stops the server (SIGTERM, as a service manager does) and removes its directory unless `keep`. */
  async stop(keep = false): Promise<void> {
    await this.stopProcess();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }

  private async stopProcess(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    const agent = new Agent({ connect: { ca: this.ca } });
    try {
      while (Date.now() < deadline) {
        if (this.child.exitCode !== null) throw new Error(`lattice exited with ${this.child.exitCode}; see ${join(this.dir, 'server.log')}`);
        try {
          const response = await request(`${this.baseUrl}/_matrix/client/versions`, { dispatcher: agent });
          await response.body.dump();
          if (response.statusCode === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('lattice did not answer /versions within 60 s');
    } finally {
      await agent.close();
    }
  }
}

/** `lattice start` with the configuration `config`; its log goes to a file, as under a service manager, and stays readable after a failure. */
function spawnLattice(config: string, dir: string, logMode: 'w' | 'a'): ChildProcess {
  const profileDir = process.env.LATTICE_BENCH_CPU_PROF;
  const nodeArgs = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(process.env.LATTICE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const log = openSync(join(dir, 'server.log'), logMode);
  return spawn(process.execPath, [...nodeArgs, bin, 'start', '-c', config], { stdio: ['ignore', log, log] });
}

/**
 * HTTPS on the one listener (clients and other servers alike) with a certificate from the test CA,
 * and trust in that CA and in loopback addresses for outbound requests. Returns the CA (PEM).
 */
async function configureFederation(document: ReturnType<typeof parseDocument>, dir: string, serverName: string): Promise<string> {
  const ca = (await testCertificateAuthority()).cert;
  const certificate = await issueTestCertificate(serverName);
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  writeFileSync(files.ca, ca);
  writeFileSync(files.cert, certificate.cert);
  writeFileSync(files.key, certificate.key);
  document.setIn(['listeners', 0, 'tls'], true);
  document.set('tls_certificate_path', files.cert);
  document.set('tls_private_key_path', files.key);
  document.set('federation_custom_ca_list', [files.ca]);
  document.set('ip_range_whitelist', ['127.0.0.1/32']);
  document.set('trusted_key_servers', []);
  return ca;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
