// The server's logger: JSON lines for whatever collects the logs (a pipe, a file, a
// container runtime), readable lines for a person at a terminal. `auto` decides by
// whether stdout is a terminal, so tooling that reads the JSON from a pipe (the tests,
// `elanus verify --spawn`) keeps getting JSON without asking for it.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/index.js';

/** The format `auto` stands for on this stdout. */
export function resolveLogFormat(format: LogFormat, stdoutIsTty: boolean): 'json' | 'pretty' {
  if (format === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  return format;
}

export function createLogger(opts: { readonly level: LogLevel; readonly format: LogFormat; readonly stdout?: NodeJS.WriteStream }): Logger {
  const stdout = opts.stdout ?? process.stdout;
  const isTty = stdout.isTTY === true;
  if (resolveLogFormat(opts.format, isTty) === 'json') return pino({ level: opts.level, name: 'elanus' });
  // Formatted in this thread and written synchronously: a line logged just before
  // process.exit (a second signal, a refusal to start) is not lost in a worker's queue.
  // Colours only on a terminal: `pretty` forced into a file stays plain text.
  const stream = pretty({ sync: true, colorize: isTty, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname,name', destination: 1 });
  return pino({ level: opts.level, name: 'elanus' }, stream);
}
