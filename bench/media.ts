/**
 * `npm run bench -- media [--quick]`: the content repository against `lattice start` in a child process
 * on a fresh SQLite database (bench/client/server.ts), over HTTP on loopback.
 *   upload / download  1 MiB files one after another (POST /_matrix/media/v3/upload, then
 *                      GET /_matrix/client/v1/media/download): MB/s, next to fs.copyFile of the same
 *                      files on this disk, the baseline a server that also hashes, fsyncs and renames
 *                      each upload cannot beat
 *   thumbnail          a 4000x3000 JPEG thumbnailed at a new size each time (nothing cached): median ms
 * Figures are noisy on a shared machine; compare runs on the same machine only.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Agent, request } from 'undici';
import { BenchClient, percentile, round1 } from './client/bench-client.ts';
import { BenchServer } from './client/server.ts';
import type { BenchOptions, Figures } from './run.ts';

const fileBytes = 1024 * 1024;
const mb = (bytes: number) => bytes / 1e6;

export async function mediaBenchmark(options: BenchOptions): Promise<Figures> {
  const size = options.quick ? { files: 10, thumbnails: 3 } : { files: 50, thumbnails: 9 };
  const files = Array.from({ length: size.files }, () => randomBytes(fileBytes));
  const server = await BenchServer.start({ name: 'media' });
  const client = new BenchClient(server.baseUrl);
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  let failed = false;
  try {
    const user = await client.register('media');
    const send = async (path: string, init: { method: 'GET' | 'POST'; body?: Buffer; contentType?: string }) => {
      const headers: Record<string, string> = { authorization: `Bearer ${user.accessToken}` };
      if (init.contentType) headers['content-type'] = init.contentType;
      const response = await request(`${server.baseUrl}${path}`, { method: init.method, headers, body: init.body, dispatcher: agent });
      const body = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode !== 200) throw new Error(`${init.method} ${path.split('?')[0]} answered ${response.statusCode}: ${body.toString().slice(0, 200)}`);
      return body;
    };
    const upload = async (body: Buffer, contentType: string) => JSON.parse((await send('/_matrix/media/v3/upload', { method: 'POST', body, contentType })).toString()).content_uri as string;

    // Warm-up: the first requests pay for module loading and connection set-up.
    const warm = await upload(files[0]!, 'application/octet-stream');
    await send(`/_matrix/client/v1/media/download/${warm.slice(6)}`, { method: 'GET' });

    let started = performance.now();
    const uris: string[] = [];
    for (const file of files) uris.push(await upload(file, 'application/octet-stream'));
    const uploadS = (performance.now() - started) / 1000;

    started = performance.now();
    for (const uri of uris) await send(`/_matrix/client/v1/media/download/${uri.slice(6)}`, { method: 'GET' });
    const downloadS = (performance.now() - started) / 1000;

    const copyS = copyBaseline(files);
    const thumbnailMs = await thumbnailTimes(upload, send, size.thumbnails);
    const total = mb(fileBytes * files.length);
    return {
      'upload 1 MiB files: MB/s': round1(total / uploadS),
      'download 1 MiB files: MB/s': round1(total / downloadS),
      'fs.copyFile 1 MiB files (baseline): MB/s': round1(total / copyS),
      'thumbnail of a 4000x3000 JPEG: median ms': round1(percentile(thumbnailMs, 50)),
      'thumbnail of a 4000x3000 JPEG: max ms': round1(Math.max(...thumbnailMs)),
    };
  } catch (error) {
    failed = true;
    console.error('media benchmark failed');
    throw error;
  } finally {
    await agent.close();
    await client.close();
    await server.stop(failed || process.env.LATTICE_BENCH_KEEP === '1');
    if (failed || process.env.LATTICE_BENCH_KEEP === '1') console.error(`server directory kept: ${server.dir}`);
  }
}

/** Seconds to copy each file once with fs.copyFile, on the disk the server's media store is on (tmpdir). */
function copyBaseline(files: Buffer[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-bench-copy-'));
  try {
    files.forEach((file, i) => writeFileSync(join(dir, `source-${i}`), file));
    const started = performance.now();
    files.forEach((_file, i) => copyFileSync(join(dir, `source-${i}`), join(dir, `copy-${i}`)));
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each request asks a size no earlier one asked (crop of an exact size), so every answer is rendered anew. */
async function thumbnailTimes(
  upload: (body: Buffer, contentType: string) => Promise<string>,
  send: (path: string, init: { method: 'GET' }) => Promise<Buffer>,
  runs: number,
): Promise<number[]> {
  const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 85 }).toBuffer();
  const path = (await upload(photo, 'image/jpeg')).slice(6);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const side = 120 + i;
    const started = performance.now();
    await send(`/_matrix/client/v1/media/thumbnail/${path}?width=${side}&height=${side}&method=crop`, { method: 'GET' });
    times.push(performance.now() - started);
  }
  return times;
}
