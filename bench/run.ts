/**
 * `npm run bench -- <area>`: runs one benchmark area (or all), prints its figures and writes them
 * as JSON to bench/results/<area>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { coreBenchmark } from './core.ts';
import { startupBenchmark } from './startup.ts';

export interface BenchResult {
  area: string;
  machine: { cpus: number; node: string };
  figures: Record<string, number | string>;
}

const areas: Record<string, () => Promise<Record<string, number | string>>> = { startup: startupBenchmark, core: coreBenchmark };

const requested = process.argv.slice(2);
const unknown = requested.filter((a) => !(a in areas));
if (unknown.length > 0) {
  console.error(`Unknown benchmark area(s): ${unknown.join(', ')}. Known: ${Object.keys(areas).join(', ')}`);
  process.exit(2);
}
const { availableParallelism } = await import('node:os');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
for (const area of requested.length > 0 ? requested : Object.keys(areas)) {
  console.log(`== ${area}`);
  const figures = await areas[area]!();
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(34)} ${value}`);
  const result: BenchResult = { area, machine: { cpus: availableParallelism(), node: process.version }, figures };
  const file = new URL(`./results/${area}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`  written to bench/results/${area}.json`);
}
