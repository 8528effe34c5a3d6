/**
 * Real Lattice servers for spec tests: in-process, on a random loopback port, each with its own
 * temporary directory and a fresh database (SQLite, or PostgreSQL on the engine asked for), a chosen
 * server_name and optionally HTTPS with a certificate from the test CA.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load-config.ts';
import type { Config, ConfigInput } from '../../src/config/schema.ts';
import { Homeserver, type HomeserverOptions } from '../../src/homeserver.ts';
import type { DatabaseEngine } from '../../src/storage/database.ts';
import { createTestDatabase, type TestDatabase } from '../../src/testing/test-databases.ts';
import { createLogger, type LogLevel, type Logger } from '../../src/util/logger.ts';
import { issueTestCertificate } from './test-certificates.ts';

export interface TestHomeserverOptions {
  serverName?: string;
  tls?: boolean;
  engine?: DatabaseEngine;
  /** Extra configuration, as it would be written in lattice.yaml. */
  config?: Partial<ConfigInput>;
  /** Reuse a data directory (and its database) from an earlier server, e.g. to test a restart. */
  reuse?: TestHomeserver;
  /** The server's clock, for tests of timeouts (Date.now by default). */
  clock?: () => number;
  /** Where the server's outbound federation requests go (e.g. to other test servers). */
  federationRequester?: HomeserverOptions['federationRequester'];
  federationDns?: HomeserverOptions['federationDns'];
}

let serverCounter = 0;

export class TestHomeserver {
  constructor(
    readonly homeserver: Homeserver,
    readonly config: Config,
    readonly dir: string,
    readonly database: TestDatabase,
    readonly baseUrl: string,
  ) {}

  get serverName(): string {
    return this.config.server_name;
  }

  /** Stops the server; keeps its directory and database when `keepData` (for restart tests). */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.homeserver.stop(1000);
    if (!options.keepData) {
      await this.database.drop();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

const noLimit = { per_second: 1_000_000, burst_count: 1_000_000 };
const unlimited: Partial<ConfigInput> = {
  rc_message: noLimit,
  rc_registration: noLimit,
  rc_login: { address: noLimit, account: noLimit, failed_attempts: noLimit },
  rc_joins: { local: noLimit },
  rc_invites: { per_user: noLimit },
};

export async function startTestHomeserver(options: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  const reuse = options.reuse;
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'lattice-spec-'));
  const database = reuse?.database ?? (await createTestDatabase(options.engine ?? 'sqlite'));
  const serverName = options.serverName ?? reuse?.serverName ?? `hs${++serverCounter}.test`;
  const input: ConfigInput = {
    server_name: serverName,
    public_baseurl: `https://${serverName}/`,
    listeners: [{ port: 0, bind_addresses: ['127.0.0.1'], tls: options.tls ?? false, resources: [{ names: ['client', 'federation', 'media', 'metrics'] }] }],
    signing_key_path: 'signing.key',
    media_store_path: 'media',
    database: database.options,
    // Spec tests act faster than people: rate limits are tested on their own, with their own values.
    ...unlimited,
    ...options.config,
  };
  if (options.tls) {
    const certificate = await issueTestCertificate(serverName);
    writeFileSync(join(dir, 'tls.crt'), certificate.cert);
    writeFileSync(join(dir, 'tls.key'), certificate.key);
    input.tls_certificate_path = 'tls.crt';
    input.tls_private_key_path = 'tls.key';
  }
  const config = parseConfig(input, { source: `<test ${serverName}>`, baseDir: dir });
  const homeserver = await Homeserver.start(config, { logger: testLogger(serverName), clock: options.clock, federationRequester: options.federationRequester, federationDns: options.federationDns });
  const listener = homeserver.listeners[0]!;
  return new TestHomeserver(homeserver, config, dir, database, listener.urls[0]!);
}

/** Mocha hooks that start a server before the block's tests and stop it after them. */
export function useTestHomeserver(options: TestHomeserverOptions = {}): () => TestHomeserver {
  let server: TestHomeserver | undefined;
  before(async function () {
    server = await startTestHomeserver(options);
  });
  after(async function () {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the test homeserver starts in a before() hook');
    return server;
  };
}

/** Server logs are silent in tests unless LATTICE_TEST_LOG names a level. */
function testLogLevel(): LogLevel {
  return (process.env.LATTICE_TEST_LOG as LogLevel | undefined) ?? 'silent';
}

function testLogger(serverName: string): Logger {
  return createLogger({ level: testLogLevel(), format: 'json', destination: process.stderr }).child({ server: serverName });
}
