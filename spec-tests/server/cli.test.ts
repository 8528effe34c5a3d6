import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrations } from '../../migrations/index.ts';
import { initCrypto } from '../../src/core/crypto/sodium.ts';
import { parseSigningKeyFile } from '../../src/core/crypto/signing-key.ts';
import { runLattice, spawnLattice } from '../harness/cli.ts';
import { eventually } from '../harness/federation.ts';
import { rawRequest } from '../harness/requests.ts';

describe('the lattice command line', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lattice-cli-'));
    await initCrypto();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has --help on every command', async function () {
    const top = await runLattice(['--help']);
    expect(top.code).to.equal(0);
    for (const command of ['start', 'generate-config', 'generate-signing-key', 'migrate', 'check-config', 'register-user']) {
      expect(top.stdout).to.include(command);
      const help = await runLattice([command, '--help']);
      expect(help.code, command).to.equal(0);
      expect(help.stdout, command).to.include(`Usage: lattice ${command}`);
    }
  });

  it('generate-config writes a commented config that check-config accepts, and refuses to overwrite it', async function () {
    const path = join(dir, 'example.yaml');
    const generated = await runLattice(['generate-config', '--server-name', 'example.org', '-o', path, '--port', '8448']);
    expect(generated.code, generated.stderr).to.equal(0);
    const text = readFileSync(path, 'utf8');
    expect(text).to.include('server_name: example.org');
    expect(text).to.include('public_baseurl: https://example.org/');
    expect(text).to.match(/^registration_shared_secret: \S{40,}$/m);
    expect(text).to.include('# The domain part of every user ID');

    const checked = await runLattice(['check-config', '-c', path]);
    expect(checked.code, checked.stderr).to.equal(0);
    expect(checked.stdout).to.include('OK (server_name example.org');

    const again = await runLattice(['generate-config', '--server-name', 'other.org', '-o', path]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('already exists');
    expect(readFileSync(path, 'utf8')).to.equal(text);
  });

  it('generate-signing-key prints a Synapse-format key, or writes it owner-only without overwriting', async function () {
    const printed = await runLattice(['generate-signing-key']);
    expect(printed.code).to.equal(0);
    expect(printed.stdout).to.match(/^ed25519 a_[A-Za-z0-9]{4} [A-Za-z0-9+/]{43}\n$/);
    expect(parseSigningKeyFile(printed.stdout)).to.have.length(1);

    const path = join(dir, 'server.key');
    expect((await runLattice(['generate-signing-key', '-o', path])).code).to.equal(0);
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    const before = readFileSync(path, 'utf8');
    const again = await runLattice(['generate-signing-key', '-o', path]);
    expect(again.code).to.equal(1);
    expect(readFileSync(path, 'utf8')).to.equal(before);
  });

  it('migrate applies the migrations once, reading the config from LATTICE_CONFIG', async function () {
    const path = join(dir, 'migrate.yaml');
    expect((await runLattice(['generate-config', '--server-name', 'migrate.test', '-o', path, '--data-dir', 'migrate-data'])).code).to.equal(0);
    const first = await runLattice(['migrate'], { env: { LATTICE_CONFIG: path } });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.include(`Applied ${migrations.length} migration(s): ${migrations.map((m) => m.name).join(', ')}`);
    expect(existsSync(join(dir, 'migrate-data', 'homeserver.db'))).to.equal(true);
    const second = await runLattice(['migrate', '-c', path]);
    expect(second.stdout).to.include('is up to date');
  });

  it('register-user creates an account that can log in over HTTP, and refuses a taken name', async function () {
    const path = join(dir, 'users.yaml');
    expect((await runLattice(['generate-config', '--server-name', 'users.test', '-o', path, '--data-dir', 'users-data', '--port', '0'])).code).to.equal(0);
    const created = await runLattice(['register-user', '-c', path, '-u', 'admin', '-p', 'pw-admin-1', '--admin']);
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.include('Registered @admin:users.test (server admin)');
    const again = await runLattice(['register-user', '-c', path, '-u', 'admin', '-p', 'other']);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('User ID already taken');

    const { child, lines, exited } = await spawnLattice(['start', '-c', path]);
    try {
      const url = (lines.find((l) => String(l.msg).startsWith('listening on'))?.urls as string[]).find((u) => u.includes('127.0.0.1'))!;
      const login = await rawRequest(url, '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'admin' }, password: 'pw-admin-1' } });
      expect(login.status).to.equal(200);
      expect(login.json.user_id).to.equal('@admin:users.test');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });

  it('start gives back the heap it grew while starting once it has been quiet for some seconds', async function () {
    this.timeout(30_000);
    const path = join(dir, 'quiet.yaml');
    expect((await runLattice(['generate-config', '--server-name', 'quiet.test', '-o', path, '--data-dir', 'quiet-data', '--port', '0'])).code).to.equal(0);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^log_level: info$/m, 'log_level: debug'));
    const { child, lines, exited } = await spawnLattice(['start', '-c', path]);
    try {
      // Loading the modules grows V8's young generation; V8 alone keeps it.
      const collected = () => lines.find((l) => l.msg === 'heap collected while quiet' && l.reason === 'shrink-young');
      await eventually(async () => collected() !== undefined, 20_000, 'a collection while quiet');
      expect(collected()!.heapAfterMiB).to.be.below(collected()!.heapBeforeMiB);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });

  it('start with an invalid config exits non-zero naming the file and key, and creates nothing', async function () {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'server_name: broken.test\nsigning_key_path: broken-data/signing.key\ndatabase: { engine: sqlite, path: broken-data/db.sqlite }\nenable_registraton: true\n');
    const result = await runLattice(['start', '-c', path]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include(path);
    expect(result.stderr).to.include('enable_registraton: unknown key (did you mean "enable_registration"?)');
    expect(existsSync(join(dir, 'broken-data'))).to.equal(false);
  });

  it('start with an explicit config path that does not exist says how to make one', async function () {
    const result = await runLattice(['start', '-c', join(dir, 'missing.yaml')]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('lattice generate-config');
    expect(existsSync(join(dir, 'missing.yaml'))).to.equal(false);
  });

  it('check-config and start refuse an unsupported default_room_version', async function () {
    const path = join(dir, 'version.yaml');
    writeFileSync(path, 'server_name: v.test\ndefault_room_version: "13"\nsigning_key_path: v-data/signing.key\n');
    for (const command of ['check-config', 'start']) {
      const result = await runLattice([command, '-c', path]);
      expect(result.code, command).to.equal(1);
      expect(result.stderr, command).to.include('default_room_version: room version "13" is not supported');
    }
    expect(existsSync(join(dir, 'v-data'))).to.equal(false);
  });

  it('check-config reports a YAML syntax error with its line', async function () {
    const path = join(dir, 'syntax.yaml');
    writeFileSync(path, 'server_name: a.test\nlisteners: [\n');
    const result = await runLattice(['check-config', '-c', path]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('YAML syntax error');
    expect(result.stderr).to.match(/line \d+/);
  });
});
