/**
 * client-server-api "Content repository" (content-repo.yaml, authed-content-repo.yaml): uploads, async
 * uploads, downloads through the authenticated and the deprecated endpoints, thumbnails, limits.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver, type TestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, type RawResponse } from '../harness/requests.ts';
import { Readable } from 'node:stream';
import { request as undiciRequest } from 'undici';

/** Raw bytes of an answer (rawRequest reads text, which would mangle binary content). */
async function fetchBytes(baseUrl: string, path: string, options: { accessToken?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
  const response = await undiciRequest(new URL(path, baseUrl), { headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}

const image = (width: number, height: number, format: 'jpeg' | 'png' | 'gif') =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } })[format]().toBuffer();

async function animatedGif(width: number, height: number): Promise<Buffer> {
  const frames = await Promise.all([0, 120, 240].map((r) => sharp({ create: { width, height, channels: 3, background: { r, g: 0, b: 0 } } }).png().toBuffer()));
  return sharp(frames, { join: { animated: true } }).gif().toBuffer();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const mediaPath = (contentUri: string) => contentUri.replace(/^mxc:\/\//, '');

/** Files under the media store's content folder. */
function storedFiles(server: TestHomeserver): string[] {
  const root = join(server.config.media_store_path, 'content');
  return existsSync(root) ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name) : [];
}

let clockOffset = 0;

for (const engine of testEngines) {
  describe(`client-server-api "Content repository" on ${engine}`, function () {
    const server = useTestHomeserver({
      serverName: 'media.test',
      engine,
      clock: () => Date.now() + clockOffset,
      config: { enable_registration: true, max_upload_size: '1M', media_upload_quota: '3M', max_pending_media_uploads: 3, max_image_pixels: 1_000_000 },
    });
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });
    afterEach(() => (clockOffset = 0));

    const upload = async (user: TestUser, body: Buffer | string, contentType?: string, filename?: string): Promise<RawResponse> =>
      rawRequest(server().baseUrl, `/_matrix/media/v3/upload${filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`}`, {
        method: 'POST',
        body,
        headers: contentType ? { 'content-type': contentType } : {},
        accessToken: user.accessToken,
      });
    const uploaded = async (user: TestUser, body: Buffer | string, contentType?: string, filename?: string): Promise<string> => {
      const response = await upload(user, body, contentType, filename);
      expect(response.status, response.text).to.equal(200);
      return response.json.content_uri;
    };
    const download = (uri: string, user?: TestUser, extra = '') => fetchBytes(server().baseUrl, `/_matrix/client/v1/media/download/${mediaPath(uri)}${extra}`, { accessToken: user?.accessToken });
    const legacyDownload = (uri: string, extra = '') => fetchBytes(server().baseUrl, `/_matrix/media/v3/download/${mediaPath(uri)}${extra}`);
    const thumbnail = (uri: string, query: string, user: TestUser | undefined = alice) => fetchBytes(server().baseUrl, `/_matrix/client/v1/media/thumbnail/${mediaPath(uri)}?${query}`, { accessToken: user?.accessToken });

    describe('upload and download', function () {
      it('uploads through matrix-js-sdk and reads the bytes back through both endpoint families with the spec headers', async function () {
        const png = await image(40, 30, 'png');
        const client = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
        const { content_uri: uri } = await client.uploadContent(png, { name: 'photo.png', type: 'image/png' });
        expect(uri).to.match(/^mxc:\/\/media\.test\/[A-Za-z0-9_-]+$/);
        for (const answer of [await download(uri, bob), await legacyDownload(uri)]) {
          expect(answer.status).to.equal(200);
          expect(answer.body.equals(png)).to.equal(true);
          expect(answer.headers['content-type']).to.equal('image/png');
          expect(answer.headers['content-disposition']).to.equal('inline; filename=photo.png');
          expect(answer.headers['content-security-policy']).to.match(/^sandbox; default-src 'none'; script-src 'none';/);
          expect(answer.headers['cross-origin-resource-policy']).to.equal('cross-origin');
          expect(answer.headers['content-length']).to.equal(String(png.length));
        }
      });

      it('names the file of the path in Content-Disposition ({fileName} override), RFC 6266-encoded when not ASCII', async function () {
        const uri = await uploaded(alice, 'hello', 'text/plain', 'a.txt');
        const renamed = await download(uri, alice, `/${encodeURIComponent('résumé 日本.txt')}`);
        expect(renamed.status).to.equal(200);
        expect(renamed.headers['content-disposition']).to.include("filename*=UTF-8''r%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC.txt").and.match(/^inline;/);
        expect((await legacyDownload(uri, '/b.txt')).headers['content-disposition']).to.equal('inline; filename=b.txt');
      });

      it('serves types outside the "Serving inline content" list as attachment, e.g. text/html; no Content-Type is application/octet-stream', async function () {
        const html = await uploaded(alice, '<script>alert(1)</script>', 'text/html', 'page.html');
        const answer = await download(html, alice);
        expect(answer.headers['content-type']).to.equal('text/html');
        expect(answer.headers['content-disposition']).to.equal('attachment; filename=page.html');
        const untyped = await uploaded(alice, Buffer.from([1, 2, 3]));
        const bytes = await download(untyped, alice);
        expect(bytes.headers['content-type']).to.equal('application/octet-stream');
        expect(bytes.headers['content-disposition']).to.equal('attachment');
      });

      it('stores the same bytes once: two uploads, two URIs, one file named by its SHA-256', async function () {
        const bytes = Buffer.from(`dedup ${Math.random()}`);
        const before = storedFiles(server()).length;
        const first = await uploaded(alice, bytes, 'application/octet-stream');
        const second = await uploaded(bob, bytes, 'application/octet-stream');
        expect(first).to.not.equal(second);
        expect(storedFiles(server()).filter((name) => name === sha256(bytes))).to.have.length(1);
        expect(storedFiles(server()).length).to.equal(before + 1);
        expect((await download(second, alice)).body.equals(bytes)).to.equal(true);
      });

      it('answers a byte range with 206 and Content-Range, and 416 past the end', async function () {
        const uri = await uploaded(alice, 'abcdefghij', 'text/plain');
        const ranged = (range: string) => fetchBytes(server().baseUrl, `/_matrix/client/v1/media/download/${mediaPath(uri)}`, { accessToken: alice.accessToken, headers: { range } });
        const part = await ranged('bytes=2-4');
        expect(part.status).to.equal(206);
        expect(part.body.toString()).to.equal('cde');
        expect(part.headers['content-range']).to.equal('bytes 2-4/10');
        expect((await ranged('bytes=-3')).body.toString()).to.equal('hij');
        const past = await ranged('bytes=10-');
        expect(past.status).to.equal(416);
        expect(past.headers['content-range']).to.equal('bytes */10');
      });

      it('answers 404 M_NOT_FOUND for unknown media, 400 M_INVALID_PARAM for a media ID outside [A-Za-z0-9_-], and (allow_remote=false) for uncached remote media', async function () {
        const unknown = await download('mxc://media.test/doesNotExist', alice);
        expect([unknown.status, unknown.json().errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
        const invalid = await download('mxc://media.test/bad.id', alice);
        expect([invalid.status, invalid.json().errcode]).to.deep.equal([400, 'M_INVALID_PARAM']);
        const remote = await legacyDownload('mxc://elsewhere.test/abc', '?allow_remote=false');
        expect([remote.status, remote.json().errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
      });

      it('refuses the authenticated endpoints and uploads without an access token: 401 M_MISSING_TOKEN', async function () {
        const uri = await uploaded(alice, 'secret', 'text/plain');
        for (const path of [`/_matrix/client/v1/media/download/${mediaPath(uri)}`, `/_matrix/client/v1/media/thumbnail/${mediaPath(uri)}?width=32&height=32`, '/_matrix/client/v1/media/config', '/_matrix/media/v3/config']) {
          const answer = await rawRequest(server().baseUrl, path);
          expect([answer.status, answer.json.errcode], path).to.deep.equal([401, 'M_MISSING_TOKEN']);
        }
        const anonymous = await rawRequest(server().baseUrl, '/_matrix/media/v3/upload', { method: 'POST', body: Buffer.from('x') });
        expect(anonymous.status).to.equal(401);
      });

      it('GET /media/config (both families) gives m.upload.size = max_upload_size', async function () {
        for (const path of ['/_matrix/client/v1/media/config', '/_matrix/media/v3/config']) {
          const answer = await rawRequest(server().baseUrl, path, { accessToken: alice.accessToken });
          expect(answer.json).to.deep.equal({ 'm.upload.size': 1024 * 1024 });
        }
      });
    });

    describe('limits ("Security considerations")', function () {
      it('refuses an upload over max_upload_size with 413 M_TOO_LARGE, declared or streamed without Content-Length', async function () {
        const tooLarge = Buffer.alloc(1024 * 1024 + 1, 7);
        const declared = await upload(alice, tooLarge, 'application/octet-stream');
        expect([declared.status, declared.json.errcode]).to.deep.equal([413, 'M_TOO_LARGE']);
        const chunks = Array.from({ length: 17 }, () => Buffer.alloc(64 * 1024, 1));
        const streamed = await undiciRequest(new URL('/_matrix/media/v3/upload', server().baseUrl), {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/octet-stream' },
          body: Readable.from(chunks),
        });
        expect(streamed.statusCode).to.equal(413);
        expect(((await streamed.body.json()) as { errcode: string }).errcode).to.equal('M_TOO_LARGE');
        // The server still answers on (and after) a refused upload.
        expect((await upload(alice, 'small', 'text/plain')).status).to.equal(200);
      });

      it('refuses uploads past media_upload_quota with 403 M_FORBIDDEN (content-repo.yaml: "The user has reached a quota")', async function () {
        const carol = await registerUser(server(), 'carol');
        const mebibyte = (fill: number) => Buffer.alloc(1024 * 1024, fill);
        for (const fill of [1, 2, 3]) expect((await upload(carol, mebibyte(fill), 'application/octet-stream')).status).to.equal(200);
        const over = await upload(carol, 'one byte more', 'text/plain');
        expect([over.status, over.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
        // Other users keep their own quota.
        expect((await upload(bob, 'fine', 'text/plain')).status).to.equal(200);
      });
    });

    describe('asynchronous uploads (POST /media/v1/create, PUT /media/v3/upload/{serverName}/{mediaId})', function () {
      const create = (user: TestUser) => rawRequest(server().baseUrl, '/_matrix/media/v1/create', { method: 'POST', body: {}, accessToken: user.accessToken });
      const put = (user: TestUser, uri: string, body: string, filename = 'later.txt') =>
        rawRequest(server().baseUrl, `/_matrix/media/v3/upload/${mediaPath(uri)}?filename=${filename}`, { method: 'PUT', body, headers: { 'content-type': 'text/plain' }, accessToken: user.accessToken });

      it('creates a URI with unused_expires_at 24 h ahead; downloads wait for the upload, or time out with 504 M_NOT_YET_UPLOADED', async function () {
        const dave = await registerUser(server(), 'dave');
        const created = await create(dave);
        expect(created.status).to.equal(200);
        expect(created.json.content_uri).to.match(/^mxc:\/\/media\.test\//);
        expect(created.json.unused_expires_at).to.be.closeTo(Date.now() + 86_400_000, 60_000);
        const uri = created.json.content_uri as string;
        const early = await download(uri, dave, '?timeout_ms=100');
        expect([early.status, early.json().errcode]).to.deep.equal([504, 'M_NOT_YET_UPLOADED']);
        const waiting = download(uri, bob, '?timeout_ms=10000');
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await put(dave, uri, 'arrived later')).status).to.equal(200);
        const answer = await waiting;
        expect(answer.status).to.equal(200);
        expect(answer.body.toString()).to.equal('arrived later');
        expect(answer.headers['content-disposition']).to.equal('inline; filename=later.txt');
      });

      it('accepts the upload only from the creator (403 M_FORBIDDEN), only once (409 M_CANNOT_OVERWRITE_MEDIA), only for created IDs (404)', async function () {
        const erin = await registerUser(server(), 'erin');
        const uri = (await create(erin)).json.content_uri as string;
        const stranger = await put(bob, uri, 'not mine');
        expect([stranger.status, stranger.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
        expect((await put(erin, uri, 'first')).status).to.equal(200);
        const again = await put(erin, uri, 'second');
        expect([again.status, again.json.errcode]).to.deep.equal([409, 'M_CANNOT_OVERWRITE_MEDIA']);
        expect((await download(uri, erin)).body.toString()).to.equal('first');
        const uploadedUri = await uploaded(erin, 'direct', 'text/plain');
        expect((await put(erin, uploadedUri, 'over it')).json.errcode).to.equal('M_CANNOT_OVERWRITE_MEDIA');
        const unknown = await put(erin, 'mxc://media.test/neverCreated', 'x');
        expect([unknown.status, unknown.json.errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
      });

      it('forgets a URI not uploaded to before unused_expires_at: the upload is 404 M_NOT_FOUND, and so is a download', async function () {
        const frank = await registerUser(server(), 'frank');
        const uri = (await create(frank)).json.content_uri as string;
        clockOffset = 86_400_000 + 1_000;
        const late = await put(frank, uri, 'too late');
        expect([late.status, late.json.errcode]).to.deep.equal([404, 'M_NOT_FOUND']);
        expect((await download(uri, frank, '?timeout_ms=100')).status).to.equal(404);
      });

      it('limits the pending uploads a user may have (max_pending_media_uploads) with 429 M_LIMIT_EXCEEDED', async function () {
        const grace = await registerUser(server(), 'grace');
        const uris = [];
        for (let i = 0; i < 3; i++) uris.push((await create(grace)).json.content_uri as string);
        const fourth = await create(grace);
        expect([fourth.status, fourth.json.errcode]).to.deep.equal([429, 'M_LIMIT_EXCEEDED']);
        expect((await put(grace, uris[0]!, 'done')).status).to.equal(200);
        expect((await create(grace)).status).to.equal(200);
      });
    });

    describe('thumbnails ("Thumbnails")', function () {
      let jpeg: string;
      before(async function () {
        jpeg = await uploaded(alice, await image(640, 480, 'jpeg'), 'image/jpeg', 'photo.jpg');
      });

      it('crop 32x32 of a JPEG is a 32x32 JPEG served inline; the same thumbnail answers again', async function () {
        const answer = await thumbnail(jpeg, 'width=30&height=30&method=crop');
        expect(answer.status).to.equal(200);
        expect(answer.headers['content-type']).to.equal('image/jpeg');
        expect(answer.headers['content-disposition']).to.equal('inline; filename=thumbnail.jpeg');
        const meta = await sharp(answer.body).metadata();
        expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 32, 32]);
        const kept = await server().homeserver.storage.media.thumbnail('media.test', mediaPath(jpeg).split('/')[1]!, { requestedWidth: 32, requestedHeight: 32, method: 'crop', contentType: 'image/jpeg' });
        expect(kept).to.include({ width: 32, height: 32, length: answer.body.length, sha256: sha256(answer.body) });
        expect((await thumbnail(jpeg, 'width=30&height=30&method=crop')).body.equals(answer.body)).to.equal(true);
      });

      it('scale keeps the aspect ratio at a size no smaller than asked (320x240 for 100x100 of 640x480); crop of another aspect ratio is exact', async function () {
        const scaled = await sharp((await thumbnail(jpeg, 'width=100&height=100&method=scale')).body).metadata();
        expect([scaled.width, scaled.height]).to.deep.equal([320, 240]);
        const cropped = await sharp((await thumbnail(jpeg, 'width=150&height=50&method=crop')).body).metadata();
        expect([cropped.width, cropped.height]).to.deep.equal([150, 50]);
      });

      it('never upscales: a request larger than the image is answered with the original content', async function () {
        const original = await image(640, 480, 'jpeg');
        const answer = await thumbnail(jpeg, 'width=800&height=600&method=scale');
        expect(answer.body.equals(original)).to.equal(true);
        expect(answer.headers['content-type']).to.equal('image/jpeg');
      });

      it('PNG and GIF sources give PNG thumbnails; an animated GIF gives an animated WebP only when animated=true', async function () {
        const png = await uploaded(alice, await image(200, 200, 'png'), 'image/png');
        const fromPng = await thumbnail(png, 'width=96&height=96&method=crop');
        expect(fromPng.headers['content-type']).to.equal('image/png');
        expect((await sharp(fromPng.body).metadata()).width).to.equal(96);
        const gif = await uploaded(alice, await animatedGif(200, 100), 'image/gif');
        const still = await thumbnail(gif, 'width=50&height=50&method=crop');
        expect(still.headers['content-type']).to.equal('image/png');
        const moving = await thumbnail(gif, 'width=50&height=50&method=crop&animated=true');
        expect(moving.headers['content-type']).to.equal('image/webp');
        const meta = await sharp(moving.body).metadata();
        expect([meta.format, meta.pages, meta.width]).to.deep.equal(['webp', 3, 96]);
      });

      it('the deprecated /media/v3/thumbnail answers the same without a token', async function () {
        const answer = await fetchBytes(server().baseUrl, `/_matrix/media/v3/thumbnail/${mediaPath(jpeg)}?width=32&height=32&method=crop`);
        expect(answer.status).to.equal(200);
        expect((await sharp(answer.body).metadata()).width).to.equal(32);
      });

      it('400 for content that cannot be thumbnailed and for bad sizes; 413 M_TOO_LARGE past max_image_pixels', async function () {
        const text = await uploaded(alice, 'not an image', 'text/plain');
        expect((await thumbnail(text, 'width=32&height=32')).status).to.equal(400);
        const liar = await uploaded(alice, 'not an image either', 'image/png');
        expect((await thumbnail(liar, 'width=32&height=32')).status).to.equal(400);
        expect((await thumbnail(jpeg, 'height=32')).json().errcode).to.equal('M_MISSING_PARAM');
        expect((await thumbnail(jpeg, 'width=0&height=32')).json().errcode).to.equal('M_INVALID_PARAM');
        expect((await thumbnail(jpeg, 'width=32&height=32&method=stretch')).json().errcode).to.equal('M_INVALID_PARAM');
        const huge = await uploaded(alice, await image(1200, 1000, 'jpeg'), 'image/jpeg');
        const refused = await thumbnail(huge, 'width=32&height=32');
        expect([refused.status, refused.json().errcode]).to.deep.equal([413, 'M_TOO_LARGE']);
      });
    });

    describe('with enable_legacy_unauthenticated_media: false', function () {
      const frozen = useTestHomeserver({ serverName: 'frozen.test', engine, config: { enable_registration: true, enable_legacy_unauthenticated_media: false } });

      it('answers the deprecated downloads and thumbnails with 404 M_NOT_FOUND; the authenticated ones still serve', async function () {
        const user = await registerUser(frozen(), 'henry');
        const png = await image(64, 64, 'png');
        const response = await rawRequest(frozen().baseUrl, '/_matrix/media/v3/upload', { method: 'POST', body: png, headers: { 'content-type': 'image/png' }, accessToken: user.accessToken });
        const path = mediaPath(response.json.content_uri);
        for (const legacy of [`/_matrix/media/v3/download/${path}`, `/_matrix/media/v3/download/${path}/x.png`, `/_matrix/media/v3/thumbnail/${path}?width=32&height=32`]) {
          const answer = await rawRequest(frozen().baseUrl, legacy);
          expect([answer.status, answer.json.errcode], legacy).to.deep.equal([404, 'M_NOT_FOUND']);
        }
        const authed = await fetchBytes(frozen().baseUrl, `/_matrix/client/v1/media/download/${path}`, { accessToken: user.accessToken });
        expect(authed.body.equals(png)).to.equal(true);
      });
    });
  });
}
