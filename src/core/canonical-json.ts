/**
 * Canonical JSON (appendices "Canonical JSON"): the one byte encoding that hashes and signatures cover.
 * Shortest UTF-8 JSON, object keys sorted by Unicode code point, integers in the IEEE-754 safe range only.
 */
import { MatrixError } from './errors.ts';

/** A JSON object as it travels over the protocol (events, key documents, signed requests). */
export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// appendices "Canonical JSON": numbers must be integers in [-(2**53)+1, (2**53)-1].
const maxSafeInteger = 2 ** 53 - 1;

/**
 * Encodes `value` as canonical JSON text. Throws M_BAD_JSON naming the path of anything the encoding
 * cannot represent: floats, unsafe integers, NaN, functions, symbols, undefined outside an object, and
 * objects that are not plain data. An object property whose value is `undefined` is omitted, as
 * JSON.stringify does, so the hashed bytes equal the bytes a caller would send.
 */
export function canonicalJson(value: unknown): string {
  try {
    return encodeFast(value);
  } catch (error) {
    if (error !== notCanonical) throw error;
    // Encode again, tracking the path, to say where and why (or to encode a bigint).
    return encode(value, '$');
  }
}

/** The canonical JSON of `value` as the UTF-8 bytes that get hashed and signed. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalJson(value));
}

const utf8 = new TextEncoder();

/**
 * The hot path (every hash and signature): the same output as `encode`, without building a path
 * string per member. Anything it cannot encode throws `notCanonical` (no stack is captured), and
 * canonicalJson re-encodes with `encode` for the error message.
 */
const notCanonical = Object.freeze({ notCanonical: true });

function encodeFast(value: unknown): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw notCanonical;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // Safe integers only; String() writes them without exponent or fraction, and -0 as "0".
      if (!Number.isSafeInteger(value)) throw notCanonical;
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let text = '[';
        for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + encodeFast(value[i]);
        return `${text}]`;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) throw notCanonical;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      // Default sort compares UTF-16 code units, which is code point order unless a key holds U+D800 or above.
      if (keys.length > 1) keys.some((key) => highCodeUnit.test(key)) ? keys.sort(compareCodePoints) : keys.sort();
      let text = '{';
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!isWellFormed(key)) throw notCanonical;
        text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${encodeFast(member)}`;
      }
      return `${text}}`;
    }
    default:
      // undefined, functions, symbols; bigints are rare enough for the slow path.
      throw notCanonical;
  }
}

const highCodeUnit = /[\ud800-\uffff]/;

/** String.prototype.isWellFormed (ES2024, Node 20): no lone surrogates; far cheaper than a regular expression. */
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as string & { isWellFormed(): boolean }).isWellFormed()
    : (text) => !loneSurrogate.test(text);

function encode(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return encodeInteger(value, path);
    case 'bigint':
      if (value < -maxSafeInteger || value > maxSafeInteger) throw badJson(path, `integer ${value} is outside [-(2**53)+1, (2**53)-1]`);
      return value.toString();
    case 'object':
      if (value === null) return 'null';
      // Array.from visits holes of sparse arrays too (as undefined, which is rejected); map would skip them.
      if (Array.isArray(value)) return `[${Array.from(value, (item, index) => encode(item, `${path}[${index}]`)).join(',')}]`;
      return encodeObject(value, path);
    default:
      throw badJson(path, `${typeof value} is not a JSON value`);
  }
}

// In a `u` regular expression only an unpaired surrogate is a lone \p{Cs} code point.
const loneSurrogate = /\p{Cs}/u;

function encodeString(value: string, path: string): string {
  // A lone surrogate has no UTF-8 encoding, and the grammar has no escape for it.
  if (loneSurrogate.test(value)) throw badJson(path, 'string holds an unpaired UTF-16 surrogate');
  // JSON.stringify writes exactly the grammar's escapes: \b \t \n \f \r \" \\ and \u00xx (lowercase)
  // for other control characters, and every other character as itself.
  return JSON.stringify(value);
}

function encodeInteger(value: number, path: string): string {
  if (!Number.isInteger(value)) throw badJson(path, `${value} is not an integer; canonical JSON has no floats`);
  if (Math.abs(value) > maxSafeInteger) throw badJson(path, `integer ${value} is outside [-(2**53)+1, (2**53)-1]`);
  // String() writes safe integers without exponent or fraction, and -0 as "0" as the spec requires.
  return String(value);
}

function encodeObject(value: object, path: string): string {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw badJson(path, `${prototype?.constructor?.name ?? 'object'} is not plain JSON data`);
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort(compareCodePoints)) {
    const member = record[key];
    if (member === undefined) continue;
    members.push(`${encodeString(key, path)}:${encode(member, `${path}.${key}`)}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * Orders strings by Unicode code point. JavaScript's default sort compares UTF-16 code units, which
 * differs only where a surrogate pair (a code point above U+FFFF) meets U+E000..U+FFFF: by code unit
 * the pair sorts first, by code point it sorts last.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (0xD800..0xDFFF) above 0xE000..0xFFFF, keeping order within each range. */
function codePointRank(codeUnit: number): number {
  if (codeUnit < 0xd800) return codeUnit;
  return codeUnit < 0xe000 ? codeUnit + 0x2000 : codeUnit - 0x800;
}

function badJson(path: string, problem: string): MatrixError {
  return new MatrixError('M_BAD_JSON', `Not canonical JSON at ${path}: ${problem}`);
}
