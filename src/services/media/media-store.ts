/**
 * The files of the content repository under media_store_path, named by the SHA-256 of their bytes
 * (`content/ab/cd/abcd…`), so every upload of the same bytes shares one file and a file never changes.
 *
 * A file is written to `tmp/` while its hash is computed, flushed to disk, then renamed to its hash: a
 * crash leaves at worst a stray temporary file, never a partial file under a hash. Bodies are streamed,
 * never held whole in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** The bytes were more than the limit they were written under; nothing was kept. */
export class ContentTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`Content exceeds ${maxBytes} bytes`);
    this.name = 'ContentTooLargeError';
  }
}

export interface StoredFile {
  sha256: string;
  length: number;
}

/** An inclusive byte range of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

export class MediaStore {
  private readonly contentDir: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.contentDir = join(root, 'content');
    this.tmpDir = join(root, 'tmp');
    mkdirSync(this.contentDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  /**
   * Stores the bytes of `source`, at most `maxBytes` of them (else ContentTooLargeError). A stream source
   * is left drained but not destroyed, so an HTTP request it comes from can still be answered.
   */
  async write(source: Readable | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile> {
    const tmp = join(this.tmpDir, randomBytes(12).toString('hex'));
    const file = await open(tmp, 'wx');
    const hash = createHash('sha256');
    let length = 0;
    try {
      try {
        const chunks = source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source;
        for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
          length += chunk.byteLength;
          if (length > maxBytes) throw new ContentTooLargeError(maxBytes);
          hash.update(chunk);
          await file.write(chunk);
        }
        await file.datasync();
      } finally {
        await file.close();
        if (source instanceof Readable && !source.readableEnded) source.resume();
      }
      const sha256 = hash.digest('hex');
      const path = this.path(sha256);
      await mkdir(join(path, '..'), { recursive: true });
      // Same bytes, same name: replacing an existing file of the same content is harmless and atomic.
      await rename(tmp, path);
      return { sha256, length };
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  /** The file's bytes, or `range` of them. */
  read(sha256: string, range?: ByteRange): Readable {
    return createReadStream(this.path(sha256), range ? { start: range.start, end: range.end } : {});
  }

  /** Where the file with these bytes lives (for readers that take a path, such as the thumbnailer). */
  path(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.contentDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}
