/** Runs the `lattice` command as an operator would, as a child process. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const latticeBin = fileURLToPath(new URL('../../bin/lattice.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runLattice(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [latticeBin, ...args], { cwd: options.cwd, env: { ...process.env, LATTICE_CONFIG: undefined, ...options.env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts `lattice start` and resolves once it logs that it is up; collects its JSON log lines. */
export function spawnLattice(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; lines: Record<string, any>[]; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [latticeBin, ...args], { cwd: options.cwd, env: { ...process.env, LATTICE_CONFIG: undefined, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, any>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, any>;
          lines.push(parsed);
          if (typeof parsed.msg === 'string' && parsed.msg.includes(' is up as ')) resolve({ child, lines, exited });
        } catch {
          lines.push({ raw: line });
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((code) => reject(new Error(`lattice exited with ${code} before it was up:\n${stderr}\n${JSON.stringify(lines)}`)));
  });
}
