/**
 * Configuration from the environment, validated once at start. Every setting is documented in
 * docs/operations.md; a bad value stops the server with a message naming the variable.
 */
import path from 'node:path';

export type SandboxKind = 'local' | 'podman';
export type Isolation = 'isolated' | 'privileged';

export interface Config {
  host: string;
  port: number;
  dev: boolean;
  labsDir: string;
  dataDir: string;
  sandbox: SandboxKind;
  isolation: Isolation;
  workshop: string;
  poolSize: number;
  graceMs: number;
  maxSessions: number;
  instructorToken: string | null;
  allowedOrigins: string[];
  ringBytes: number;
  podman: { image: string; pidsLimit: number; memory: string; cpus: number };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}=${raw}: expected a whole number from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, def: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name}=${raw}: expected one of ${allowed.join(', ')}`);
  return raw as T;
}

export function loadConfig(env: Env = process.env, root = process.cwd(), argv: string[] = process.argv): Config {
  const sandbox = oneOf(env, 'SANDBOX', 'local', ['local', 'podman'] as const);
  const workshop = env.WORKSHOP ?? 'default';
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(workshop)) throw new ConfigError(`WORKSHOP=${workshop}: use lower-case letters, digits and dashes (max 31)`);
  const token = env.INSTRUCTOR_TOKEN?.trim() || null;
  if (token !== null && token.length < 8) throw new ConfigError('INSTRUCTOR_TOKEN: use at least 8 characters');
  return {
    // The local sandbox is a shell on this machine: only loopback unless the operator says otherwise.
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 3000, 0, 65535),
    dev: argv.includes('--dev'),
    labsDir: path.resolve(root, env.LABS_DIR || 'labs'),
    dataDir: path.resolve(root, env.LABDECK_DATA_DIR || '.data'),
    sandbox,
    isolation: oneOf(env, 'SANDBOX_ISOLATION', 'isolated', ['isolated', 'privileged'] as const),
    workshop,
    poolSize: int(env, 'POOL_SIZE', sandbox === 'podman' ? 2 : 1, 0, 200),
    graceMs: int(env, 'GRACE_SECONDS', 600, 1, 86_400) * 1000,
    maxSessions: int(env, 'MAX_SESSIONS', 300, 1, 10_000),
    instructorToken: token,
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    ringBytes: int(env, 'SCREEN_RING_BYTES', 512 * 1024, 16 * 1024, 64 * 1024 * 1024),
    podman: {
      image: env.SANDBOX_IMAGE || 'localhost/labdeck-sandbox:latest',
      pidsLimit: int(env, 'SANDBOX_PIDS', 512, 16, 100_000),
      memory: env.SANDBOX_MEMORY || '1g',
      cpus: Number(env.SANDBOX_CPUS || 1),
    },
  };
}

/** Is this host loopback-only? */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
