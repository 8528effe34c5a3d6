/** Sizes written the Synapse way ("50M", "512K", "1G") or as a plain number of bytes. */
const units: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+)\s*([KMG]?)B?\s*$/i.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * units[match[2]!.toUpperCase()]!;
}

/** Durations written the Synapse way ("1d", "2h", "30m", "10s", "500ms") or as milliseconds. */
const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+)\s*(ms|s|m|h|d|w|y)?\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * durationUnits[match[2] ?? 'ms']!;
}
