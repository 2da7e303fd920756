/**
 * Structured JSON-lines logger. Small on purpose: one object per line on
 * stderr, bound keys via child(), level filtering before any formatting.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(bound: Fields): Logger;
  enabled(level: Level): boolean;
}

export interface LoggerOptions {
  level?: Level;
  write?: (line: string) => void;
}

export function parseLevel(value: string): Level {
  if (value in rank) return value as Level;
  throw new Error(`--log-level: expected one of ${Object.keys(rank).join(', ')}, got '${value}'`);
}

function errorFields(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

export function createLogger(opts: LoggerOptions = {}, bound: Fields = {}): Logger {
  const min = rank[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: Level, msg: string, fields?: Fields): void => {
    if (rank[level] < min) return;
    const rec: Fields = { time: new Date().toISOString(), level, msg, ...bound };
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = errorFields(v);
    write(JSON.stringify(rec) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => createLogger(opts, { ...bound, ...more }),
    enabled: (level) => rank[level] >= min,
  };
}

/** A logger that drops everything, for libraries used without one. */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });
