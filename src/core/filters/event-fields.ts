/**
 * The `event_fields` of a filter (client-server-api "Filtering"): the dot-separated paths of the
 * fields to include in each event, `\.` standing for a literal dot and `\\` for a backslash in a key.
 * Fields not present are left out; an empty or absent list keeps the whole event.
 */
import { parseDottedPath } from '../dotted-property-paths.ts';

export function selectEventFields<T extends object>(event: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields || fields.length === 0) return event;
  const result: Record<string, unknown> = {};
  for (const path of fields) {
    const keys = parseDottedPath(path);
    let source: unknown = event;
    for (const key of keys) source = typeof source === 'object' && source !== null && !Array.isArray(source) ? (source as Record<string, unknown>)[key] : undefined;
    if (source === undefined) continue;
    let target = result;
    for (const key of keys.slice(0, -1)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys.at(-1)!] = structuredClone(source);
  }
  return result as Partial<T>;
}
