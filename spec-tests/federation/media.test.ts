/**
 * server-server-api "Content Repository": a client of a.test reads media of b.test, fetched over TLS
 * from b.test's /_matrix/federation/v1/media endpoints (multipart/mixed, X-Matrix signed) and cached;
 * an origin without those endpoints (404 M_UNRECOGNIZED) is asked through the deprecated
 * /_matrix/media/v3/download with allow_remote=false.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import sharp from 'sharp';
import { request as undiciRequest } from 'undici';
import { testEngines } from '../../src/testing/test-databases.ts';
import type { TestUser } from '../harness/accounts.ts';
import { startAliceAndBob, type FederatedServers } from '../harness/federation.ts';
import type { TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, testAgent } from '../harness/requests.ts';
import { xMatrixAuthorization } from '../harness/server-requests.ts';
import { issueTestCertificate } from '../harness/test-certificates.ts';

async function fetchBytes(server: TestHomeserver, path: string, headers: Record<string, string> = {}) {
  const response = await undiciRequest(new URL(path, server.baseUrl), { headers, dispatcher: await testAgent() });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}

/** How many times `server` answered `endpoint` (a route template) with `status`, from its metrics. */
async function answered(server: TestHomeserver, endpoint: string, status = 200): Promise<number> {
  const metrics = await rawRequest(server.baseUrl, '/_synapse/metrics');
  const line = metrics.text.split('\n').find((l) => l.startsWith('lattice_http_request_duration_seconds_count{') && l.includes(`endpoint="${endpoint}"`) && l.includes(`status="${status}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

for (const engine of testEngines) describe(`server-server-api "Content Repository" over TLS on ${engine}`, function () {
  let federation: FederatedServers;
  let a: TestHomeserver;
  let b: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;
  const upload = async (user: TestUser, body: Buffer, contentType: string, filename: string): Promise<string> => {
    const response = await rawRequest(b.baseUrl, `/_matrix/media/v3/upload?filename=${encodeURIComponent(filename)}`, { method: 'POST', body, headers: { 'content-type': contentType }, accessToken: user.accessToken });
    expect(response.status, response.text).to.equal(200);
    return (response.json.content_uri as string).replace('mxc://', '');
  };
  const asAlice = (path: string) => fetchBytes(a, path, { authorization: `Bearer ${alice.accessToken}` });

  before(async function () {
    ({ federation, a, b, alice, bob } = await startAliceAndBob({ engine, config: { max_upload_size: '2M' } }));
  });
  after(() => federation.stop());

  it('a client of a.test downloads media of b.test, fetched over federation once and then served from a.test\'s cache', async function () {
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366cc' } }).png().toBuffer();
    const path = await upload(bob, png, 'image/png', 'blue sky.png');
    const first = await asAlice(`/_matrix/client/v1/media/download/${path}`);
    expect(first.status, first.body.toString()).to.equal(200);
    expect(first.body.equals(png)).to.equal(true);
    expect(first.headers['content-type']).to.equal('image/png');
    expect(first.headers['content-disposition']).to.equal('inline; filename="blue sky.png"');
    const route = '/_matrix/federation/v1/media/download/:mediaId';
    expect(await answered(b, route)).to.equal(1);
    const second = await asAlice(`/_matrix/client/v1/media/download/${path}`);
    expect(second.body.equals(png)).to.equal(true);
    const legacy = await fetchBytes(a, `/_matrix/media/v3/download/${path}`);
    expect(legacy.body.equals(png)).to.equal(true);
    expect(await answered(b, route)).to.equal(1);
  });

  it('a thumbnail of media of b.test is made by a.test from the fetched media', async function () {
    const jpeg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#cc6633' } }).jpeg().toBuffer();
    const path = await upload(bob, jpeg, 'image/jpeg', 'photo.jpg');
    const thumbnail = await asAlice(`/_matrix/client/v1/media/thumbnail/${path}?width=96&height=96&method=crop`);
    expect(thumbnail.status, thumbnail.body.toString()).to.equal(200);
    expect(thumbnail.headers['content-type']).to.equal('image/jpeg');
    const meta = await sharp(thumbnail.body).metadata();
    expect([meta.width, meta.height]).to.deep.equal([96, 96]);
    expect((await a.homeserver.storage.media.get('b.test', path.split('/')[1]!))?.content?.length).to.equal(jpeg.length);
  });

  it('unknown media of b.test is 404 M_NOT_FOUND on a.test; an unreachable origin is 502', async function () {
    const unknown = await asAlice('/_matrix/client/v1/media/download/b.test/noSuchMedia');
    expect([unknown.status, unknown.json().errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
    const unreachable = await asAlice('/_matrix/client/v1/media/download/nowhere.test/someMedia');
    expect(unreachable.status).to.equal(502);
  });

  it('b.test serves its media to a signed request as multipart/mixed: a JSON part, then the media; unsigned requests are refused', async function () {
    const bytes = Buffer.from('plain text from b');
    const [, mediaId] = (await upload(bob, bytes, 'text/plain', 'note.txt')).split('/');
    const uri = `/_matrix/federation/v1/media/download/${mediaId}`;
    const unsigned = await fetchBytes(b, uri);
    expect([unsigned.status, unsigned.json().errcode]).to.deep.equal([401, 'M_UNAUTHORIZED']);
    const authorization = xMatrixAuthorization({ method: 'GET', uri, origin: 'a.test', destination: 'b.test' }, a.homeserver.serverKeys.signingKey);
    const signed = await fetchBytes(b, uri, { authorization });
    expect(signed.status).to.equal(200);
    const boundary = /^multipart\/mixed; boundary=(\S+)$/.exec(String(signed.headers['content-type']))?.[1];
    expect(boundary).to.be.a('string');
    expect(signed.body.toString()).to.equal(
      `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
        `--${boundary}\r\nContent-Type: text/plain\r\nContent-Disposition: inline; filename=note.txt\r\n\r\nplain text from b\r\n--${boundary}--\r\n`,
    );
    const thumbnailUri = `/_matrix/federation/v1/media/thumbnail/${mediaId}?width=32&height=32`;
    const cannot = await fetchBytes(b, thumbnailUri, { authorization: xMatrixAuthorization({ method: 'GET', uri: thumbnailUri, origin: 'a.test', destination: 'b.test' }, a.homeserver.serverKeys.signingKey) });
    expect(cannot.status).to.equal(400);
  });

  it('b.test serves thumbnails of its images to a signed request', async function () {
    const png = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#22aa22' } }).png().toBuffer();
    const [, mediaId] = (await upload(bob, png, 'image/png', 'green.png')).split('/');
    const uri = `/_matrix/federation/v1/media/thumbnail/${mediaId}?width=32&height=32&method=crop`;
    const answer = await fetchBytes(b, uri, { authorization: xMatrixAuthorization({ method: 'GET', uri, origin: 'a.test', destination: 'b.test' }, a.homeserver.serverKeys.signingKey) });
    expect(answer.status).to.equal(200);
    const text = answer.body.toString('latin1');
    expect(text).to.include('Content-Type: image/png\r\nContent-Disposition: inline; filename=thumbnail.png\r\n\r\n');
    const start = answer.body.indexOf('\r\n\r\n', answer.body.indexOf('image/png')) + 4;
    const end = answer.body.lastIndexOf(Buffer.from('\r\n--'));
    const meta = await sharp(answer.body.subarray(start, end)).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['png', 32, 32]);
  });

  describe('an origin without the federation media endpoints', function () {
    let origin: Server;
    let serverName: string;
    const received: string[] = [];
    const legacyBytes = Buffer.from('served the old way');

    before(async function () {
      origin = createServer(await issueTestCertificate('127.0.0.1'), (req, res) => {
        received.push(req.url ?? '');
        const legacy = /^\/_matrix\/media\/v3\/download\/[^/]+\/(\w+)\?/.exec(req.url ?? '');
        if (legacy?.[1] === 'old') {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-disposition': "attachment; filename*=utf-8''%C3%A9t%C3%A9.txt" }).end(legacyBytes);
        } else if (legacy?.[1] === 'huge') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(3 * 1024 * 1024));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }));
        }
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      // server-server-api "Resolving server names" step 1: an IP literal with a port is connected to directly.
      serverName = `127.0.0.1:${(origin.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => origin.close(() => resolve())));

    it('is asked through /_matrix/media/v3/download with allow_remote=false after its 404 M_UNRECOGNIZED', async function () {
      const answer = await asAlice(`/_matrix/client/v1/media/download/${serverName}/old`);
      expect(answer.status, answer.body.toString()).to.equal(200);
      expect(answer.body.equals(legacyBytes)).to.equal(true);
      expect(answer.headers['content-disposition']).to.include("filename*=UTF-8''%C3%A9t%C3%A9.txt");
      expect(received.filter((url) => url.includes('/old'))).to.deep.equal([
        '/_matrix/federation/v1/media/download/old?timeout_ms=20000',
        `/_matrix/media/v3/download/${encodeURIComponent(serverName)}/old?allow_remote=false&timeout_ms=20000`,
      ]);
    });

    it('does not cache remote media over max_upload_size: 502 M_TOO_LARGE', async function () {
      const answer = await asAlice(`/_matrix/client/v1/media/download/${serverName}/huge`);
      expect([answer.status, answer.json().errcode]).to.deep.equal([502, 'M_TOO_LARGE']);
    });
  });
});
