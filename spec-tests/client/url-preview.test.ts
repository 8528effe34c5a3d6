/**
 * client-server-api GET /_matrix/client/v1/media/preview_url (authed-content-repo.yaml, v1.11) and the
 * deprecated GET /_matrix/media/v3/preview_url (content-repo.yaml): OpenGraph data for a URL, its image
 * stored as mxc://, and the safety of fetching what users name (Synapse's url_preview_* settings).
 *
 * The pages come from a server on 127.0.0.1, which the previewing homeserver's
 * url_preview_ip_range_whitelist allows; an "intranet" server on 127.0.0.2, loopback like it but not
 * allowed, stands for what a preview must never reach.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import sharp from 'sharp';
import { request as undiciRequest } from 'undici';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest, type RawResponse } from '../harness/requests.ts';

type Route = (request: IncomingMessage, response: ServerResponse) => void;

/** A local HTTP server answering `routes` by path, counting the requests for each path. */
async function startSite(host: string, routes: Record<string, Route>) {
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url!, 'http://site').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (route) route(request, response);
    else response.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: (path: string) => `${origin}${path}`,
    hits: (path: string) => hits.get(path) ?? 0,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
type Site = Awaited<ReturnType<typeof startSite>>;

const html = (body: string): Route => (_request, response) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);

for (const engine of testEngines) {
  describe(`client-server-api GET /media/preview_url on ${engine}`, function () {
    const server = useTestHomeserver({
      engine,
      config: {
        enable_registration: true,
        url_preview_enabled: true,
        url_preview_ip_range_whitelist: ['127.0.0.1'],
        url_preview_url_blacklist: [{ path: '/blocked/*' }],
        max_spider_size: '64K',
      },
    });
    const disabledServer = useTestHomeserver({ engine, config: { enable_registration: true } });
    let alice: TestUser;
    let site: Site;
    let intranet: Site;
    let png: Buffer;

    before(async function () {
      alice = await registerUser(server(), 'alice');
      png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 120, b: 200 } } }).png().toBuffer();
      intranet = await startSite('127.0.0.2', {
        '/secret': html('<meta property="og:title" content="Intranet secret">'),
        '/secret.png': (_request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(png),
      });
      const image: Route = (_request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(png);
      site = await startSite('127.0.0.1', {
        '/article.html': html(`<!doctype html><html><head>
          <meta property="og:title" content="Matrix Blog Post">
          <meta property="og:description" content="This is a really cool blog post from matrix.org">
          <meta property="og:image" content="/images/logo.png">
          <title>Not the title</title></head><body><p>Body</p></body></html>`),
        '/images/logo.png': image,
        '/photo': image,
        '/plain.html': html(`<html><head><title>Plain page</title><meta name="description" content="Said by the meta description"></head>
          <body><img src="icon.png"><img src="/images/logo.png" width="64" height="48"></body></html>`),
        '/moved': (_request, response) => response.writeHead(302, { location: '/plain.html' }).end(),
        '/to-intranet': (_request, response) => response.writeHead(302, { location: intranet.url('/secret') }).end(),
        '/intranet-image.html': html(`<meta property="og:title" content="Points inside"><meta property="og:image" content="${intranet.url('/secret.png')}">`),
        '/large.html': html(`<title>Large</title>${'x'.repeat(100 * 1024)}`),
        '/large-streamed.html': (_request, response) => {
          response.writeHead(200, { 'content-type': 'text/html' });
          for (let i = 0; i < 100; i++) response.write(`<p>${'y'.repeat(1024)}</p>`);
          response.end();
        },
        '/blocked/page.html': html('<title>Blocked</title>'),
        '/slowly.html': (_request, response) => setTimeout(() => html('<head><title>Worth the wait</title></head>')(_request, response), 200),
        '/data.json': (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      });
    });
    after(async function () {
      await site?.close();
      await intranet?.close();
    });

    const previewPath = (url: string, prefix = '/_matrix/client/v1/media') => `${prefix}/preview_url?url=${encodeURIComponent(url)}&ts=1510610716656`;
    const preview = (url: string, options: { accessToken?: string; prefix?: string } = {}): Promise<RawResponse> =>
      rawRequest(server().baseUrl, previewPath(url, options.prefix), { accessToken: 'accessToken' in options ? options.accessToken : alice.accessToken });
    const download = async (mxc: string) => {
      const response = await undiciRequest(new URL(`/_matrix/client/v1/media/download/${mxc.replace(/^mxc:\/\//, '')}`, server().baseUrl), {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
      return { status: response.statusCode, body: Buffer.from(await response.body.arrayBuffer()) };
    };
    const expectError = (response: RawResponse, status: number, errcode: string) => {
      expect(response.status, response.text).to.equal(status);
      expect(response.json.errcode).to.equal(errcode);
    };

    it('answers a page\'s OpenGraph data with og:image stored as an mxc:// URI that downloads', async function () {
      const response = await preview(site.url('/article.html'));
      expect(response.status, response.text).to.equal(200);
      const { 'og:image': image, ...rest } = response.json;
      expect(rest).to.deep.equal({
        'og:title': 'Matrix Blog Post',
        'og:description': 'This is a really cool blog post from matrix.org',
        'og:image:type': 'image/png',
        'og:image:width': 64,
        'og:image:height': 48,
        'matrix:image:size': png.length,
      });
      expect(image).to.match(/^mxc:\/\/[^/]+\/[A-Za-z0-9_-]+$/);
      const stored = await download(image);
      expect(stored.status).to.equal(200);
      expect(stored.body.equals(png)).to.equal(true);
      // The server stored it for itself: it counts against no one's media_upload_quota.
      expect(await server().homeserver.storage.media.uploadedBytes(alice.userId)).to.equal(0);
    });

    it('falls back, as Synapse, to the title, the meta description and the largest image of a page without og: tags', async function () {
      const response = await preview(site.url('/plain.html'));
      expect(response.status, response.text).to.equal(200);
      expect(response.json['og:title']).to.equal('Plain page');
      expect(response.json['og:description']).to.equal('Said by the meta description');
      expect(response.json['og:image']).to.match(/^mxc:\/\//);
      expect(response.json['og:image:width']).to.equal(64);
    });

    it('describes a URL that is an image itself, stored in the content repository', async function () {
      const response = await preview(site.url('/photo'));
      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.include({ 'og:image:type': 'image/png', 'og:image:width': 64, 'og:image:height': 48, 'matrix:image:size': png.length });
      expect((await download(response.json['og:image'])).body.equals(png)).to.equal(true);
    });

    it('follows a redirect to an allowed address and previews where it leads', async function () {
      const response = await preview(site.url('/moved'));
      expect(response.status, response.text).to.equal(200);
      expect(response.json['og:title']).to.equal('Plain page');
    });

    it('the deprecated GET /_matrix/media/v3/preview_url answers the same, with an access token', async function () {
      const response = await preview(site.url('/article.html'), { prefix: '/_matrix/media/v3' });
      expect(response.status, response.text).to.equal(200);
      expect(response.json['og:title']).to.equal('Matrix Blog Post');
    });

    it('keeps a preview for a while and makes it once for concurrent requests', async function () {
      const url = site.url('/slowly.html');
      const [first, second] = await Promise.all([preview(url), preview(url)]);
      const third = await preview(url);
      for (const response of [first, second, third]) expect(response.json).to.deep.equal({ 'og:title': 'Worth the wait' });
      expect(site.hits('/slowly.html')).to.equal(1);
    });

    it('requires an access token (401 M_MISSING_TOKEN) on both endpoints', async function () {
      expectError(await preview(site.url('/article.html'), { accessToken: undefined }), 401, 'M_MISSING_TOKEN');
      expectError(await preview(site.url('/article.html'), { accessToken: undefined, prefix: '/_matrix/media/v3' }), 401, 'M_MISSING_TOKEN');
    });

    it('refuses an address in url_preview_ip_range_blacklist and not whitelisted: 403 "IP address blocked", nothing sent', async function () {
      const response = await preview(intranet.url('/secret'));
      expectError(response, 403, 'M_UNKNOWN');
      expect(response.json.error).to.equal('IP address blocked');
      expectError(await preview('http://[::1]:9/'), 403, 'M_UNKNOWN');
      expect(intranet.hits('/secret')).to.equal(0);
    });

    it('refuses a redirect to a blocked address, checking every hop', async function () {
      const response = await preview(site.url('/to-intranet'));
      expectError(response, 403, 'M_UNKNOWN');
      expect(response.json.error).to.equal('IP address blocked');
      expect(site.hits('/to-intranet')).to.equal(1);
      expect(intranet.hits('/secret')).to.equal(0);
    });

    it('leaves out a page\'s image on a blocked address, and never fetches it', async function () {
      const response = await preview(site.url('/intranet-image.html'));
      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({ 'og:title': 'Points inside' });
      expect(intranet.hits('/secret.png')).to.equal(0);
    });

    it('refuses a URL matching url_preview_url_blacklist (403) without fetching it', async function () {
      const response = await preview(site.url('/blocked/page.html'));
      expectError(response, 403, 'M_UNKNOWN');
      expect(response.json.error).to.equal('URL blocked by url pattern blacklist entry');
      expect(site.hits('/blocked/page.html')).to.equal(0);
    });

    it('refuses a page larger than max_spider_size, declared or streamed, as Synapse: 502 M_TOO_LARGE', async function () {
      expectError(await preview(site.url('/large.html')), 502, 'M_TOO_LARGE');
      expectError(await preview(site.url('/large-streamed.html')), 502, 'M_TOO_LARGE');
    });

    it('answers 502 for a page that is not there or neither HTML nor an image', async function () {
      const missing = await preview(site.url('/missing.html'));
      expectError(missing, 502, 'M_UNKNOWN');
      expect(missing.json.error).to.equal('Got error 404');
      expectError(await preview(site.url('/data.json')), 502, 'M_UNKNOWN');
    });

    it('requires url, an http or https URL (M_MISSING_PARAM, M_INVALID_PARAM)', async function () {
      expectError(await rawRequest(server().baseUrl, '/_matrix/client/v1/media/preview_url', { accessToken: alice.accessToken }), 400, 'M_MISSING_PARAM');
      expectError(await preview('file:///etc/passwd'), 400, 'M_INVALID_PARAM');
      expectError(await preview('not a url'), 400, 'M_INVALID_PARAM');
    });

    it('is off by default: both paths answer as unknown ones, 404 M_UNRECOGNIZED, as in Synapse', async function () {
      const bob = await registerUser(disabledServer(), 'bob');
      for (const prefix of ['/_matrix/client/v1/media', '/_matrix/media/v3']) {
        const response = await rawRequest(disabledServer().baseUrl, previewPath(site.url('/article.html'), prefix), { accessToken: bob.accessToken });
        expectError(response, 404, 'M_UNRECOGNIZED');
      }
      expect(site.hits('/article.html')).to.equal(1);
    });
  });
}
