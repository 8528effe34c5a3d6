/**
 * Reads an HTML page as it streams in, into its OpenGraph tags (core/media/open-graph.ts), with
 * htmlparser2: a forgiving streaming tokenizer (the one under cheerio), so no document tree is built and
 * a page's memory is bounded by its nesting, not its size. The bytes are decoded in the page's charset:
 * its byte order mark, else the Content-Type's charset, else a `<meta charset>` (or http-equiv) in its
 * first 1024 bytes, else UTF-8.
 */
import { TextDecoder } from 'node:util';
import { Parser } from 'htmlparser2';
import { OpenGraphCollector, type OpenGraphTags } from '../../core/media/open-graph.ts';

/** How far the HTML standard's prescan looks for a declared encoding. */
const prescanBytes = 1024;

export async function readOpenGraph(chunks: AsyncIterable<Uint8Array>, contentType: string | undefined): Promise<OpenGraphTags> {
  const collector = new OpenGraphCollector();
  const parser = new Parser({
    onopentag: (name, attributes) => collector.openTag(name, attributes),
    ontext: (text) => collector.text(text),
    onclosetag: (name) => collector.closeTag(name),
  });
  let decoder: TextDecoder | undefined;
  let head = Buffer.alloc(0);
  for await (const chunk of chunks) {
    if (!decoder) {
      head = Buffer.concat([head, chunk]);
      if (head.length < prescanBytes) continue;
      decoder = decoderFor(head, contentType);
      parser.write(decoder.decode(head, { stream: true }));
    } else {
      parser.write(decoder.decode(chunk, { stream: true }));
    }
  }
  // The rest a streaming decoder held back, or the whole of a page shorter than the prescan.
  parser.write(decoder ? decoder.decode() : decoderFor(head, contentType).decode(head));
  parser.end();
  return collector.result();
}

function decoderFor(head: Uint8Array, contentType: string | undefined): TextDecoder {
  const label = bomEncoding(head) ?? charsetParameter(contentType) ?? declaredCharset(head) ?? 'utf-8';
  try {
    return new TextDecoder(label);
  } catch {
    // An encoding this runtime does not know: UTF-8 reads most of the web.
    return new TextDecoder('utf-8');
  }
}

function bomEncoding(head: Uint8Array): string | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  return undefined;
}

function charsetParameter(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
}

/** `<meta charset="…">` or `<meta http-equiv="Content-Type" content="text/html; charset=…">`. */
function declaredCharset(head: Uint8Array): string | undefined {
  const text = Buffer.from(head.subarray(0, prescanBytes)).toString('latin1');
  return /<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(text)?.[1];
}
