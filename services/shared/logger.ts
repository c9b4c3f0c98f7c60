/**
 * Structured JSON logs on stdout, one line each. Secrets are never passed in; fields
 * whose names look secret are masked as a last line of defence.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

const levelRank = { debug: 10, info: 20, warn: 30, error: 40 } as const;
const secretKey = /pass(word)?|secret|token|apikey|authorization|cookie/i;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(
  service: string,
  options: { level?: LogLevel; write?: (line: string) => void; base?: LogFields } = {},
): Logger {
  const min = levelRank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.base ?? {};
  const log = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (levelRank[level] < min) return;
    const record = { time: new Date().toISOString(), level, service, msg, ...base, ...fields };
    write(JSON.stringify(record, redact));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger(service, { ...options, base: { ...base, ...fields } }),
  };
}

function redact(key: string, value: unknown): unknown {
  if (key !== '' && secretKey.test(key) && typeof value === 'string') return '***';
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  return value;
}
