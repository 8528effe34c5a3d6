/**
 * Event filters (client-server-api "Filtering", definitions/event_filter.yaml): which events of a
 * stream a client wants, by type and sender, with `*` wildcards in types.
 */

export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
  /** Room event filters only: keep events whose content has a `url` (true) or has none (false). */
  contains_url?: boolean;
}

/** A filter type pattern: `*` matches any run of characters, everything else itself. */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(type);
}

/** Whether an event passes the filter; the `not_` lists win over the inclusive ones. */
export function matchesEventFilter(filter: EventFilter | undefined, event: { type: string; sender?: string; content?: object }): boolean {
  if (!filter) return true;
  if (filter.contains_url !== undefined && filter.contains_url !== (typeof (event.content as { url?: unknown } | undefined)?.url === 'string')) return false;
  if (filter.not_types?.some((pattern) => typeMatches(pattern, event.type))) return false;
  if (filter.types && !filter.types.some((pattern) => typeMatches(pattern, event.type))) return false;
  if (event.sender !== undefined) {
    if (filter.not_senders?.includes(event.sender)) return false;
    if (filter.senders && !filter.senders.includes(event.sender)) return false;
  }
  return true;
}

/** The events that pass the filter, at most `limit` of them (the first ones). */
export function applyEventFilter<T extends { type: string; sender?: string; content?: object }>(filter: EventFilter | undefined, events: readonly T[]): T[] {
  const kept = events.filter((event) => matchesEventFilter(filter, event));
  return filter?.limit !== undefined ? kept.slice(0, filter.limit) : kept;
}
