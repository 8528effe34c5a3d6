import { expect } from 'chai';
import { readOpenGraph } from './html-open-graph.ts';

/** `bytes` in chunks of `size`, as a response body arrives. */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('readOpenGraph: an HTML page as it streams in', function () {
  const padding = `<!-- ${'-'.repeat(1100)} -->`;

  it('decodes UTF-8 split anywhere between chunks', async function () {
    const page = Buffer.from(`<head>${padding}<meta property="og:title" content="Crème brûlée 🍮"></head>`, 'utf8');
    expect(await readOpenGraph(chunked(page, 3), 'text/html')).to.deep.equal({ 'og:title': 'Crème brûlée 🍮' });
  });

  it('reads the charset of the Content-Type, else of a <meta> in the first 1024 bytes', async function () {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    expect(await readOpenGraph(chunked(latin1('<head><title>Café</title></head>'), 5), 'text/html; charset=ISO-8859-1')).to.deep.equal({ 'og:title': 'Café' });
    expect(await readOpenGraph(chunked(latin1(`<head><meta charset="windows-1252"><title>Déjà vu</title>${padding}</head>`), 100), 'text/html')).to.deep.equal({ 'og:title': 'Déjà vu' });
    expect(await readOpenGraph(chunked(latin1('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><head><title>Noël</title></head>'), 7), undefined)).to.deep.equal({ 'og:title': 'Noël' });
  });

  it('falls back to UTF-8 for an unknown charset', async function () {
    expect(await readOpenGraph(chunked(Buffer.from('<head><title>Zoë</title></head>'), 4), 'text/html; charset=x-unheard-of')).to.deep.equal({ 'og:title': 'Zoë' });
  });
});
