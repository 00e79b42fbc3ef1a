/** A tiny structured logger: one line per event, human-readable, with key=value fields. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function line(level: string, msg: string, fields?: Record<string, unknown>): string {
  const extra = fields
    ? Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
        .join(' ')
    : '';
  return `${new Date().toISOString()} ${level} ${msg}${extra ? ' ' + extra : ''}`;
}

export function createLogger(quiet = false): Logger {
  return {
    info: (m, f) => {
      if (!quiet) console.log(line('info', m, f));
    },
    warn: (m, f) => console.warn(line('warn', m, f)),
    error: (m, f) => console.error(line('error', m, f)),
  };
}
