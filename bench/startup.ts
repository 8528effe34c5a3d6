/**
 * Start-up time and idle memory of `lattice start` as an operator runs it: a real child process on
 * the embedded SQLite default, cold (first start: key and database created) and warm (restart).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateConfigText } from '../src/config/generate-config.ts';

const bin = fileURLToPath(new URL('../bin/lattice.js', import.meta.url));
const runs = 5;

export async function startupBenchmark(): Promise<Record<string, number>> {
  const cold: number[] = [];
  const warm: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'lattice-bench-'));
    try {
      const port = await freePort();
      const config = join(dir, 'lattice.yaml');
      writeFileSync(config, generateConfigText({ serverName: 'localhost', port }).replace("bind_addresses: ['::1', '127.0.0.1']", "bind_addresses: ['127.0.0.1']"));
      const first = await startAndWait(config, port);
      cold.push(first.ms);
      await stop(first.child);
      const second = await startAndWait(config, port);
      warm.push(second.ms);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      rss.push(readRssMiB(second.child.pid!));
      await stop(second.child);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    runs,
    'cold start to first /versions, ms (median)': median(cold),
    'warm start to first /versions, ms (median)': median(warm),
    'idle RSS after 3 s, MiB (median)': median(rss),
  };
}

async function startAndWait(config: string, port: number): Promise<{ child: ChildProcess; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'start', '-c', config], { stdio: 'ignore' });
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`);
      if (response.ok) return { child, ms: Math.round(performance.now() - started) };
    } catch {
      if (child.exitCode !== null) throw new Error(`lattice exited with ${child.exitCode}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function readRssMiB(pid: number): number {
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round((kib / 1024) * 10) / 10;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
