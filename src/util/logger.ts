/** Structured logging: pino, pretty on a terminal and one JSON object per line elsewhere. */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

// The pretty printer is loaded only for a terminal (a server under a service manager does without it).
const require = createRequire(import.meta.url);

export type { Logger };
export type LogFormat = 'auto' | 'pretty' | 'json';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export function createLogger(options: { level: LogLevel; format: LogFormat; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stdout;
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true);
  // The pretty stream runs in this thread (no transport worker), so lines are written in order and flushed on exit.
  if (usePretty) {
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino({ level: options.level, base: undefined }, pretty({ destination, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: true }));
  }
  // JSON lines to standard output are written asynchronously: the lines logged while a write is under
  // way go out together in the next one (a line per request would otherwise cost a system call each),
  // and pino writes what is left when the process exits.
  const stream = options.destination ?? pino.destination({ dest: 1, sync: false });
  return pino({ level: options.level, base: undefined }, stream);
}
