import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { ContentTooLargeError, MediaStore } from './media-store.ts';

describe('MediaStore: content-addressed media files', function () {
  let root: string;
  let store: MediaStore;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lattice-media-store-'));
    store = new MediaStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const files = (folder: string) => readdirSync(join(root, folder), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());

  it('names a file by the SHA-256 of its bytes and keeps one file for the same bytes', async function () {
    const bytes = Buffer.from('the same bytes');
    const first = await store.write(Readable.from([bytes.subarray(0, 4), bytes.subarray(4)]), 1_000);
    const second = await store.write([bytes], 1_000);
    expect(first).to.deep.equal({ sha256: createHash('sha256').update(bytes).digest('hex'), length: bytes.length });
    expect(second).to.deep.equal(first);
    expect(files('content').map((entry) => entry.name)).to.deep.equal([first.sha256]);
    expect(readFileSync(store.path(first.sha256)).equals(bytes)).to.equal(true);
    expect(files('tmp')).to.have.length(0);
  });

  it('keeps nothing of content over the limit, and leaves the source stream drained, not failed', async function () {
    const source = Readable.from([Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)]);
    let error: unknown;
    await store.write(source, 1_000).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(ContentTooLargeError);
    expect(files('content')).to.have.length(0);
    expect(files('tmp')).to.have.length(0);
    // Drained to its end without an error: an HTTP request body read this way can still be answered.
    if (!source.readableEnded) await new Promise((resolve) => source.once('end', resolve));
    expect(source.errored).to.equal(null);
  });

  it('reads a byte range', async function () {
    const { sha256 } = await store.write([Buffer.from('0123456789')], 100);
    const chunks: Buffer[] = [];
    for await (const chunk of store.read(sha256, { start: 3, end: 5 })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).to.equal('345');
  });
});
