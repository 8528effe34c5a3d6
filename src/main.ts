/**
 * The `lattice` command line. Each command validates everything it needs before it changes anything,
 * and reports a problem as one readable message with a non-zero exit code.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, chooseConfigPath, loadConfig } from './config/load-config.ts';
import { generateConfigText } from './config/generate-config.ts';
import type { Config } from './config/schema.ts';
import { formatSigningKeyFile, generateSigningKey } from './core/crypto/signing-key.ts';
import { initCrypto } from './core/crypto/sodium.ts';
import { MatrixError } from './core/errors.ts';
import { Homeserver, checkConfigAgainstProtocol } from './homeserver.ts';
import { Accounts } from './services/accounts/accounts.ts';
import { ServerEvents } from './services/server-events.ts';
import { SigningKeyFileError, writeSigningKeyFile } from './services/signing-keys/signing-key-file.ts';
import { Storage } from './storage/storage.ts';
import { compactHeapWhenQuiet, type HeapCollection } from './util/heap-compaction.ts';
import { createLogger, type Logger } from './util/logger.ts';
import { serverSoftware } from './version.ts';

class UsageError extends Error {}

const program = new Command('lattice')
  .description('Lattice, a Matrix homeserver')
  .version(serverSoftware.version)
  .showHelpAfterError();

const configOption = ['-c, --config <file>', 'configuration file (default: $LATTICE_CONFIG or ./lattice.yaml)'] as const;

program
  .command('start')
  .description('start the homeserver; on first start without a config file, generate lattice.yaml for server_name localhost')
  .option(...configOption)
  .action(async (options: { config?: string }) => {
    const chosen = chooseConfigPath(options.config);
    let generated = false;
    if (!existsSync(chosen.path)) {
      if (chosen.explicit) throw new UsageError(`Configuration file ${chosen.path} not found. Create one with: lattice generate-config --server-name <name> -o ${chosen.path}`);
      writeFileSync(chosen.path, generateConfigText({ serverName: 'localhost' }), { flag: 'wx' });
      generated = true;
    }
    const config = loadConfig(chosen.path);
    const logger = createLogger({ level: config.log_level, format: config.log_format });
    if (generated) logger.info({ path: chosen.path }, 'generated a configuration for server_name localhost; edit it and restart to change settings');
    const started = performance.now();
    const homeserver = Homeserver.start(config, { logger });
    stopOnSignals(homeserver, logger);
    compactHeapWhenQuiet({ onCollected: (collection) => logger.debug(heapFigures(collection), 'heap collected while quiet') });
    announce(logger, config, await homeserver, Math.round(performance.now() - started));
  });

program
  .command('generate-config')
  .description('write a new, fully commented configuration file')
  .requiredOption('--server-name <name>', 'the server name (the domain part of user IDs)')
  .option('-o, --output <file>', 'where to write it ("-" for standard output)', 'lattice.yaml')
  .option('--data-dir <dir>', 'directory for database, signing key and media, relative to the config file', 'data')
  .option('--port <port>', 'port of the HTTP listener', parsePort, 8008)
  .action((options: { serverName: string; output: string; dataDir: string; port: number }) => {
    const text = generateConfigText({ serverName: options.serverName, dataDir: options.dataDir, port: options.port });
    if (options.output === '-') return void process.stdout.write(text);
    writeNewFile(options.output, text);
    console.log(`Wrote ${options.output}. Start the server with: lattice start -c ${options.output}`);
  });

program
  .command('generate-signing-key')
  .description('generate an Ed25519 signing key in Synapse\'s key file format')
  .option('-o, --output <file>', 'where to write it (default: standard output)')
  .action(async (options: { output?: string }) => {
    await initCrypto();
    const key = generateSigningKey();
    if (!options.output) return void process.stdout.write(formatSigningKeyFile([key]));
    if (existsSync(options.output)) throw new UsageError(`${options.output} already exists; refusing to overwrite a signing key`);
    writeSigningKeyFile(options.output, key);
    console.log(`Wrote signing key ${key.keyId} to ${options.output}`);
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .option(...configOption)
  .action(async (options: { config?: string }) => {
    const config = loadConfig(chooseConfigPath(options.config).path);
    const { storage, applied } = await Storage.open(config.database);
    await storage.close();
    console.log(applied.length > 0 ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : `Database ${describeDatabase(config)} is up to date`);
  });

program
  .command('register-user')
  .description('create a local user account (reads the password from standard input when -p is not given)')
  .option(...configOption)
  .requiredOption('-u, --user <localpart>', 'the localpart of the new user ID (alice for @alice:server)')
  .option('-p, --password <password>', 'the password')
  .option('--admin', 'make the user a server administrator', false)
  .action(async (options: { config?: string; user: string; password?: string; admin: boolean }) => {
    const config = loadConfig(chooseConfigPath(options.config).path);
    const password = options.password ?? (await readLine(process.stdin));
    if (!password) throw new UsageError('A password is required (-p, or one line on standard input)');
    const { storage } = await Storage.open(config.database);
    try {
      const accounts = new Accounts(storage, new ServerEvents(), config.server_name, Date.now);
      const { userId } = await accounts.register({ localpart: options.user, password, admin: options.admin, inhibitLogin: true });
      console.log(`Registered ${userId}${options.admin ? ' (server admin)' : ''}. Log in from any Matrix client at ${config.public_baseurl}`);
    } finally {
      await storage.close();
    }
  });

program
  .command('check-config')
  .description('validate a configuration file without starting the server')
  .option(...configOption)
  .action((options: { config?: string }) => {
    const config = loadConfig(chooseConfigPath(options.config).path);
    checkConfigAgainstProtocol(config);
    console.log(`${config.config_path}: OK (server_name ${config.server_name}, database ${describeDatabase(config)}, ${config.listeners.length} listener(s))`);
  });

function announce(logger: Logger, config: Config, homeserver: Homeserver, startupMs: number): void {
  for (const listener of homeserver.listeners) {
    logger.info({ urls: listener.urls, resources: listener.resources }, `listening on ${listener.urls.join(', ')} (${listener.resources.join(', ')})`);
  }
  const database = describeDatabase(config);
  logger.info(
    { config: config.config_path, database, server_name: config.server_name, startupMs },
    `Lattice ${serverSoftware.version} is up as ${config.server_name} in ${startupMs} ms (config ${config.config_path}, database ${database})`,
  );
  const configFile = relative(process.cwd(), config.config_path ?? 'lattice.yaml') || 'lattice.yaml';
  logger.info(
    config.enable_registration
      ? `Create the first user by registering from any Matrix client at ${config.public_baseurl}`
      : `Registration is closed. Create the first user with: npx lattice register-user -c ${configFile} -u <name> --admin`,
  );
}

function describeDatabase(config: Config): string {
  if (config.database.engine === 'sqlite') return `sqlite:${config.database.path}`;
  const url = new URL(config.database.url);
  url.password = url.password ? '***' : '';
  return url.toString();
}

/** A collection of the heap as a debug log line's fields, in MiB and ms. */
function heapFigures({ reason, heapBeforeBytes, heapAfterBytes, ms }: HeapCollection) {
  const mib = (bytes: number) => Math.round(bytes / 104_857.6) / 10;
  return { reason, heapBeforeMiB: mib(heapBeforeBytes), heapAfterMiB: mib(heapAfterBytes), ms: Math.round(ms) };
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the database, exit 0. A second signal exits at once. */
function stopOnSignals(starting: Promise<Homeserver>, logger: Logger): void {
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    process.once(signal, () => process.exit(1));
    starting
      .then((homeserver) => homeserver.stop())
      .then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number between 0 and 65535');
  return port;
}

async function readLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  const lines = createInterface({ input });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return undefined;
}

function writeNewFile(path: string, text: string): void {
  if (existsSync(path)) throw new UsageError(`${path} already exists; refusing to overwrite it`);
  writeFileSync(path, text, { flag: 'wx' });
}

try {
  await program.parseAsync();
} catch (error) {
  // Mistakes an operator can fix get their message alone; system errors (EADDRINUSE, EACCES…) too.
  const known = error instanceof ConfigError || error instanceof UsageError || error instanceof SigningKeyFileError || error instanceof MatrixError || typeof (error as NodeJS.ErrnoException).code === 'string';
  console.error(known ? (error as Error).message : `lattice: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
}
