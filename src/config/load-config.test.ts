import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { generateConfigText } from './generate-config.ts';
import { ConfigError, chooseConfigPath, loadConfig, parseConfig } from './load-config.ts';

function problemsOf(data: unknown): string[] {
  try {
    parseConfig(data, { source: 'test.yaml', baseDir: '/srv/lattice' });
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems.flatMap((p) => p.split('\n  - '));
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', function () {
  it('fills in defaults and resolves paths against the config file directory', function () {
    const config = parseConfig({ server_name: 'example.com' }, { source: 'x.yaml', baseDir: '/srv/lattice' });
    expect(config.public_baseurl).to.equal('https://example.com/');
    expect(config.database).to.deep.equal({ engine: 'sqlite', path: '/srv/lattice/data/homeserver.db' });
    expect(config.signing_key_path).to.equal('/srv/lattice/data/signing.key');
    expect(config.listeners[0]).to.deep.include({ port: 8008, tls: false, bind_addresses: ['::1', '127.0.0.1'] });
    expect(config.max_upload_size).to.equal(50 * 1024 * 1024);
    expect(config.key_refresh_interval).to.equal(86_400_000);
    expect(config.ip_range_blacklist).to.include('10.0.0.0/8');
    expect(config.enable_registration).to.equal(false);
    expect(config.federation_verify_certificates).to.equal(true);
  });

  it('reads sizes and durations the Synapse way', function () {
    const config = parseConfig({ server_name: 'a.b', max_upload_size: '512K', key_refresh_interval: '2h' }, { source: 'x', baseDir: '/' });
    expect(config.max_upload_size).to.equal(512 * 1024);
    expect(config.key_refresh_interval).to.equal(7_200_000);
  });

  it('accepts PostgreSQL and keeps absolute paths', function () {
    const config = parseConfig({ server_name: 'a.b', database: { engine: 'postgres', url: 'postgres://u@h/db' }, media_store_path: '/var/media' }, { source: 'x', baseDir: '/srv' });
    expect(config.database).to.deep.equal({ engine: 'postgres', url: 'postgres://u@h/db' });
    expect(config.media_store_path).to.equal('/var/media');
  });

  it('config.example.yaml is valid and documents every key the schema knows', function () {
    const text = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
    parseConfig(parseDocument(text).toJS(), { source: 'config.example.yaml', baseDir: '/' });
    const keys = Object.keys(parseConfig({ server_name: 'a.b' }, { source: 'x', baseDir: '/' })).filter((k) => k !== 'config_path');
    for (const key of [...keys, 'tls_certificate_path', 'tls_private_key_path', 'registration_shared_secret']) {
      expect(text, key).to.match(new RegExp(`^#?${key}:`, 'm'));
    }
  });

  it('a generated config is valid and names the server', function () {
    const config = parseConfig(parseDocument(generateConfigText({ serverName: 'gen.test', port: 9000 })).toJS(), { source: 'x', baseDir: '/d' });
    expect(config.server_name).to.equal('gen.test');
    expect(config.listeners[0]!.port).to.equal(9000);
    expect(config.registration_shared_secret).to.have.length.above(30);
    expect(generateConfigText({ serverName: 'localhost' })).to.include('public_baseurl: http://localhost:8008/');
  });

  describe('each class of mistake gives its message', function () {
    it('missing required key', function () {
      expect(problemsOf({})).to.deep.equal(['server_name: missing required key (expected string)']);
    });
    it('unknown key, with did-you-mean', function () {
      expect(problemsOf({ server_name: 'a.b', federation_verify_certificate: false })).to.deep.equal([
        'federation_verify_certificate: unknown key (did you mean "federation_verify_certificates"?)',
      ]);
    });
    it('unknown nested key, with did-you-mean from the right level', function () {
      expect(problemsOf({ server_name: 'a.b', listeners: [{ port: 1, resources: [{ names: ['client'] }], bind_address: ['::'] }] })).to.deep.equal([
        'listeners[0].bind_address: unknown key (did you mean "bind_addresses"?)',
      ]);
    });
    it('unknown key far from any known one gets no suggestion', function () {
      expect(problemsOf({ server_name: 'a.b', zzz: 1 })).to.deep.equal(['zzz: unknown key']);
    });
    it('wrong type', function () {
      expect(problemsOf({ server_name: 'a.b', enable_registration: 'yes' })).to.deep.equal(['enable_registration: expected boolean, got string "yes"']);
    });
    it('value outside a fixed set', function () {
      expect(problemsOf({ server_name: 'a.b', database: { engine: 'mysql' } })).to.deep.equal(['database.engine: expected one of "sqlite", "postgres", got string "mysql"']);
      expect(problemsOf({ server_name: 'a.b', listeners: [{ port: 1, resources: [{ names: ['web'] }] }] })[0]).to.match(/^listeners\[0\]\.resources\[0\]\.names\[0\]: expected one of "client", "federation"/);
    });
    it('malformed values: server name, URL, size, IP range, port', function () {
      const problems = problemsOf({ server_name: 'bad name!', public_baseurl: 'ftp://x', max_upload_size: 'lots', ip_range_whitelist: ['not-an-ip'], listeners: [{ port: 70000, resources: [{ names: ['client'] }] }] });
      expect(problems.join('\n')).to.include('server_name: expected a server name');
      expect(problems.join('\n')).to.include('public_baseurl: expected an http(s) URL');
      expect(problems.join('\n')).to.include('max_upload_size: expected a size such as 50M');
      expect(problems.join('\n')).to.include('ip_range_whitelist[0]: expected an IP address or CIDR range');
      expect(problems.join('\n')).to.include('listeners[0].port:');
    });
    it('TLS listener without certificate', function () {
      expect(problemsOf({ server_name: 'a.b', listeners: [{ port: 8448, tls: true, resources: [{ names: ['federation'] }] }] })).to.deep.equal([
        'tls_certificate_path: is required because listeners[0] has tls: true',
        'tls_private_key_path: is required because listeners[0] has tls: true',
      ]);
    });
  });

  describe('files', function () {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'lattice-config-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('names the file when it cannot be read', function () {
      expect(() => loadConfig(join(dir, 'nope.yaml'))).to.throw(ConfigError, /nope\.yaml[\s\S]*file not found/);
    });
    it('rejects duplicate keys in YAML', function () {
      writeFileSync(join(dir, 'dup.yaml'), 'server_name: a.b\nserver_name: c.d\n');
      expect(() => loadConfig(join(dir, 'dup.yaml'))).to.throw(ConfigError, /YAML syntax error/);
    });
    it('chooses -c, then LATTICE_CONFIG, then ./lattice.yaml', function () {
      expect(chooseConfigPath('/a.yaml', { LATTICE_CONFIG: '/b.yaml' })).to.deep.equal({ path: '/a.yaml', explicit: true });
      expect(chooseConfigPath(undefined, { LATTICE_CONFIG: '/b.yaml' })).to.deep.equal({ path: '/b.yaml', explicit: true });
      expect(chooseConfigPath(undefined, {})).to.deep.equal({ path: join(process.cwd(), 'lattice.yaml'), explicit: false });
    });
  });
});
