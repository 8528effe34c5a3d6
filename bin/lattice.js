#!/usr/bin/env node
/**
 * The `lattice` command. It runs the compiled JavaScript in dist/ (built by `npm run build`, which
 * `npm install` runs) when that build is at least as new as every source file; otherwise it runs the
 * TypeScript sources through tsx, so a checkout works without a build step. The build saves the
 * loader's memory (about 35 MiB) and start-up time.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const built = new URL('dist/src/main.js', root);

function newestModification(url) {
  const stat = statSync(url);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(url)) newest = Math.max(newest, newestModification(new URL(entry + (statSync(new URL(entry, url)).isDirectory() ? '/' : ''), url)));
  return newest;
}

function buildIsCurrent() {
  if (!existsSync(built)) return false;
  const sources = ['src/', 'migrations/', 'config.example.yaml', 'package.json'].map((path) => new URL(path, root));
  return statSync(built).mtimeMs >= Math.max(...sources.map(newestModification));
}

if (buildIsCurrent()) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
