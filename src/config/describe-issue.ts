/**
 * Turns a schema validation issue into one line an operator can act on: the key, what is wrong,
 * what was expected, and for a misspelt key the closest known one.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import { configSchema } from './schema.ts';

export function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const where = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys
        .map((key) => {
          const known = knownKeysAt(issue.path, data);
          const suggestion = known.length > 0 ? closest(key, known) : undefined;
          const hint = suggestion && similarEnough(key, suggestion) ? ` (did you mean "${suggestion}"?)` : '';
          return `${formatPath([...issue.path, key])}: unknown key${hint}`;
        })
        .join('\n  - ');
    case 'invalid_type':
      return valueAt(issue.path, data) === undefined
        ? `${where}: missing required key (expected ${issue.expected})`
        : `${where}: expected ${issue.expected}, got ${describeValue(valueAt(issue.path, data))}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(valueAt(issue.path, data))}`;
    case 'invalid_union':
      if (issue.discriminator && 'options' in issue && issue.options) {
        return `${where}: expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}, got ${describeValue(valueAt(issue.path, data))}`;
      }
      return `${where}: ${issue.message}, got ${describeValue(valueAt(issue.path, data))}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

function valueAt(path: PropertyKey[], data: unknown): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), data);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Suggest only near misses: a typo or a missing prefix, not any key at all. */
function similarEnough(typed: string, known: string): boolean {
  const a = typed.toLowerCase();
  const b = known.toLowerCase();
  return a.includes(b) || b.includes(a) || distance(a, b) <= Math.max(2, Math.floor(known.length / 3));
}

/** The keys the schema accepts at a path, following the data through lists and tagged unions. */
function knownKeysAt(path: PropertyKey[], data: unknown): string[] {
  let schema: z.core.$ZodType | undefined = configSchema;
  let node = data;
  for (const key of [...path, undefined]) {
    schema = unwrap(schema, node);
    if (key === undefined || !schema) break;
    const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    schema = def.type === 'object' ? def.shape?.[String(key)] : def.type === 'array' ? def.element : undefined;
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const def = schema?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Sees through defaults, optionals, pipes and (for tagged unions) picks the option the data selects. */
function unwrap(schema: z.core.$ZodType | undefined, node: unknown): z.core.$ZodType | undefined {
  while (schema) {
    const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; options?: z.core.$ZodType[]; discriminator?: string };
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe') schema = def.in;
    else if (def.type === 'union' && def.discriminator && node && typeof node === 'object') {
      const tag = (node as Record<string, unknown>)[def.discriminator];
      schema = def.options?.find((option) => {
        const shape = (option._zod.def as { shape?: Record<string, z.core.$ZodType> }).shape;
        const literal = shape?.[def.discriminator!]?._zod.def as { values?: unknown[] } | undefined;
        return literal?.values?.includes(tag);
      });
    } else return schema;
  }
  return schema;
}
