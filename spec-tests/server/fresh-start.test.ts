import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { spawnLattice } from '../harness/cli.ts';
import { rawRequest } from '../harness/requests.ts';

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('fresh clone: `npm start` (node bin/lattice.js start) in an empty directory', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lattice-fresh-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates lattice.yaml, the signing key, the database and the media folder, answers /versions on localhost:8008, and exits 0 on SIGTERM', async function () {
    if (await portInUse(8008)) throw new Error('port 8008 is in use on this machine; stop whatever listens there to run this test');
    const { child, lines, exited } = await spawnLattice(['start'], { cwd: dir });
    try {
      const response = await rawRequest('http://localhost:8008', '/_matrix/client/versions');
      expect(response.status).to.equal(200);
      expect(response.json.versions).to.be.an('array');

      const config = parseDocument(readFileSync(join(dir, 'lattice.yaml'), 'utf8')).toJS();
      expect(config.server_name).to.equal('localhost');
      expect(existsSync(join(dir, 'data', 'signing.key'))).to.equal(true);
      expect(statSync(join(dir, 'data', 'signing.key')).mode & 0o077).to.equal(0);
      expect(existsSync(join(dir, 'data', 'homeserver.db'))).to.equal(true);
      expect(statSync(join(dir, 'data', 'media_store')).isDirectory()).to.equal(true);

      const messages = lines.map((l) => String(l.msg)).join('\n');
      expect(messages).to.match(/listening on .*http:\/\/127\.0\.0\.1:8008/);
      expect(messages).to.include(join(dir, 'lattice.yaml'));
      expect(messages).to.include(`sqlite:${join(dir, 'data', 'homeserver.db')}`);
      expect(messages).to.include('Create the first user with: npx lattice register-user -c lattice.yaml');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });

  it('starts again from the files it generated, keeping the same signing key', async function () {
    const keyBefore = readFileSync(join(dir, 'data', 'signing.key'), 'utf8');
    const { child, exited } = await spawnLattice(['start'], { cwd: dir });
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
    expect(readFileSync(join(dir, 'data', 'signing.key'), 'utf8')).to.equal(keyBefore);
  });
});
