/**
 * Reads a response body as UTF-8 text without holding more than a limit in memory: a remote server decides
 * what it sends, so a body is refused as soon as its Content-Length or the bytes received pass the limit.
 */
import type { Dispatcher } from 'undici';

/** The body as text, or undefined (the body destroyed) when it exceeds `maxBytes`. */
export async function readBodyWithLimit(
  body: Dispatcher.ResponseData['body'],
  headers: Dispatcher.ResponseData['headers'],
  maxBytes: number,
): Promise<string | undefined> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discardBody(body);
    return undefined;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of body) {
    received += (chunk as Buffer).length;
    if (received > maxBytes) {
      discardBody(body);
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Drops a body not worth reading; undici reports the cut-short stream as an error nobody needs. */
export function discardBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}
