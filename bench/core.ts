/**
 * `npm run bench -- core`: the room core's hot paths. Signing and verification next to raw libsodium
 * in the same run (the ratio is our overhead), then state resolution and auth chains in a room of
 * 10,000 members.
 */
import { signingFigures } from './core-signing.ts';
import { stateResolutionFigures } from './core-state-resolution.ts';

export async function coreBenchmark(): Promise<Record<string, number | string>> {
  return { ...(await signingFigures()), ...(await stateResolutionFigures()) };
}
