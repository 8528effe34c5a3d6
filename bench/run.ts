/**
 * `npm run bench -- <area> [--quick]`: runs one benchmark area (or all), prints its figures (each next
 * to its target, where it has one) and writes them as JSON to bench/results/<area>.json. `--quick`
 * asks the areas that support it for a shorter smoke run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { clientBenchmark } from './client.ts';
import { coreBenchmark } from './core.ts';
import { federationBenchmark } from './federation.ts';
import { mediaBenchmark } from './media.ts';
import { startupBenchmark } from './startup.ts';

export type Figures = Record<string, number | string>;

/** A figure's target: the figure must be at least (`>=`) or at most (`<=`) the value. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface AreaResult {
  figures: Figures;
  targets?: Record<string, Target>;
}

export interface BenchOptions {
  quick: boolean;
}

export interface BenchResult {
  area: string;
  machine: { cpus: number; node: string };
  options: BenchOptions;
  figures: Figures;
  targets?: Record<string, Target & { met: boolean }>;
}

const areas: Record<string, (options: BenchOptions) => Promise<Figures | AreaResult>> = { startup: startupBenchmark, core: coreBenchmark, client: clientBenchmark, federation: federationBenchmark, media: mediaBenchmark };

const args = process.argv.slice(2);
const requested = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
const unknown = [...requested.filter((a) => !(a in areas)), ...flags.filter((f) => f !== '--quick')];
if (unknown.length > 0) {
  console.error(`Unknown benchmark area(s) or option(s): ${unknown.join(', ')}. Known: ${Object.keys(areas).join(', ')}, --quick`);
  process.exit(2);
}
const options: BenchOptions = { quick: flags.includes('--quick') };
const { availableParallelism } = await import('node:os');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
for (const area of requested.length > 0 ? requested : Object.keys(areas)) {
  console.log(`== ${area}${options.quick ? ' (quick)' : ''}`);
  const outcome = await areas[area]!(options);
  const { figures, targets } = 'figures' in outcome && typeof outcome.figures === 'object' ? (outcome as AreaResult) : { figures: outcome as Figures, targets: undefined };
  const checked: Record<string, Target & { met: boolean }> = {};
  for (const [name, value] of Object.entries(figures)) {
    const target = targets?.[name];
    let note = '';
    if (target && typeof value === 'number') {
      const met = target.op === '>=' ? value >= target.value : value <= target.value;
      checked[name] = { ...target, met };
      note = `  (target ${target.op === '>=' ? '≥' : '≤'} ${target.value}: ${met ? 'met' : 'MISSED'})`;
    }
    console.log(`  ${name.padEnd(44)} ${String(value).padStart(10)}${note}`);
  }
  const result: BenchResult = { area, machine: { cpus: availableParallelism(), node: process.version }, options, figures, ...(targets ? { targets: checked } : {}) };
  const file = new URL(`./results/${area}${options.quick ? '-quick' : ''}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`  written to bench/results/${area}${options.quick ? '-quick' : ''}.json`);
}
