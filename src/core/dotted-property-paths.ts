/**
 * appendices "Dot-separated property paths", used by push rule conditions and filters' event_fields:
 * `.` separates names; `\.` and `\\` are a literal dot and backslash; any other backslash is literal
 * (`\x` stays backslash, x). Paths come from a few rules and filters, so parsed ones are kept.
 */
const parsedPaths = new Map<string, readonly string[]>();

export function parseDottedPath(path: string): readonly string[] {
  const cached = parsedPaths.get(path);
  if (cached) return cached;
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const char = path[i]!;
    const next = path[i + 1];
    if (char === '\\' && (next === '.' || next === '\\')) {
      current += next;
      i++;
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  if (parsedPaths.size >= 1_000) parsedPaths.clear();
  parsedPaths.set(path, parts);
  return parts;
}
