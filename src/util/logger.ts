/** Structured logging: pino, pretty on a terminal and one JSON object per line elsewhere. */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export type LogFormat = 'auto' | 'pretty' | 'json';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export function createLogger(options: { level: LogLevel; format: LogFormat; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stdout;
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true);
  // The pretty stream runs in this thread (no transport worker), so lines are written in order and flushed on exit.
  const stream = usePretty ? pretty({ destination, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: true }) : destination;
  return pino({ level: options.level, base: undefined }, stream);
}
