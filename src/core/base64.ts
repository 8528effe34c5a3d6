/**
 * Unpadded Base64 (appendices "Unpadded Base64" and "URL-safe unpadded Base64"): RFC 4648 without "=".
 * Written over lookup tables rather than taken from libsodium: its decoder rejects non-zero unused
 * trailing bits, which real keys carry (the appendix signing key seed itself ends in such a character).
 */
import { MatrixError } from './errors.ts';

const standardAlphabet = asciiCodes('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const urlSafeAlphabet = asciiCodes('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const ascii = new TextDecoder('ascii');

/** Sextet value of each ASCII code, or -1. Both alphabets decode: "+" and "-" are 62, "/" and "_" are 63. */
const sextets = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  sextets[standardAlphabet[i]!] = i;
  sextets[urlSafeAlphabet[i]!] = i;
}

/** Standard unpadded Base64, as used for keys, signatures and hashes. */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, standardAlphabet);
}

/** URL-safe unpadded Base64, as used for event IDs from room version 4. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, urlSafeAlphabet);
}

/** Writes the characters as ASCII codes into one array, far faster than growing a string. */
function encode(bytes: Uint8Array, alphabet: Uint8Array): string {
  const whole = bytes.length - (bytes.length % 3);
  const rest = bytes.length - whole;
  const out = new Uint8Array((whole / 3) * 4 + (rest === 0 ? 0 : rest + 1));
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const triple = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = alphabet[triple >>> 18]!;
    out[o++] = alphabet[(triple >>> 12) & 63]!;
    out[o++] = alphabet[(triple >>> 6) & 63]!;
    out[o++] = alphabet[triple & 63]!;
  }
  if (rest === 1) {
    const byte = bytes[whole]!;
    out[o++] = alphabet[byte >>> 2]!;
    out[o++] = alphabet[(byte & 3) << 4]!;
  } else if (rest === 2) {
    const pair = (bytes[whole]! << 8) | bytes[whole + 1]!;
    out[o++] = alphabet[pair >>> 10]!;
    out[o++] = alphabet[(pair >>> 4) & 63]!;
    out[o++] = alphabet[(pair & 15) << 2]!;
  }
  return ascii.decode(out);
}

/**
 * Decodes standard or URL-safe Base64, with or without padding (the appendix asks decoders to accept
 * both). Throws M_INVALID_PARAM on characters outside the alphabets, misplaced padding or an impossible
 * length. Unused low bits of the last character are ignored, as RFC 4648 decoders commonly do.
 */
export function decodeBase64(text: string): Uint8Array {
  const length = unpaddedLength(text);
  if (length % 4 === 1) throw invalid('its length is impossible');
  const bytes = new Uint8Array(Math.floor((length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let out = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? sextets[code]! : -1;
    if (sextet < 0) throw invalid(`character ${JSON.stringify(text[i])} at ${i} is outside the alphabet`);
    buffer = ((buffer << 6) | sextet) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = buffer >>> bits;
    }
  }
  return bytes;
}

/** The length without "=" padding; padding is valid only as the 1 or 2 characters completing a quad. */
function unpaddedLength(text: string): number {
  let length = text.length;
  while (length > 0 && text.charCodeAt(length - 1) === 0x3d) length--;
  const padding = text.length - length;
  if (padding > 0 && (padding > 2 || text.length % 4 !== 0)) throw invalid('its "=" padding is malformed');
  return length;
}

function asciiCodes(alphabet: string): Uint8Array {
  return Uint8Array.from(alphabet, (character) => character.charCodeAt(0));
}

function invalid(problem: string): MatrixError {
  return new MatrixError('M_INVALID_PARAM', `Invalid base64: ${problem}`);
}
