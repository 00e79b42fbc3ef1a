/**
 * Configuration from the environment, validated once at start by one zod schema. Every setting is
 * documented in docs/operations.md; a bad value stops the server with a message naming the variable
 * and the value, before anything else starts (not later, deep inside a driver).
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

export type SandboxKind = 'local' | 'podman' | 'kubernetes';
export type Isolation = 'isolated' | 'privileged';

/** A host name the server answers to; `port: null` means any port (a name behind a proxy). */
export interface HostName {
  hostname: string;
  port: number | null;
}

export interface Config {
  host: string;
  port: number;
  dev: boolean;
  labsDir: string;
  dataDir: string;
  workshop: string;
  poolSize: number;
  graceMs: number;
  maxSessions: number;
  /** Global rate of new terminal sessions (docs/protocol.md#limits): per second, and the burst above it. */
  newSessions: { perSecond: number; burst: number };
  /** Sandboxes being created at once, and attendees allowed to wait for one (pool.ts). */
  pool: { maxCreating: number; maxWaiting: number };
  instructorToken: string | null;
  /** The public URL attendees open (PUBLIC_URL), when the server is behind a proxy or a DNS name. */
  publicUrl: URL | null;
  /** Host names besides loopback that requests may carry (PUBLIC_URL's host and ALLOWED_HOSTS). */
  allowedHosts: HostName[];
  /** The operator accepted that a local (unisolated) sandbox is reachable from the network. */
  allowLocalOnNetwork: boolean;
  /** No join, no shell (issue 10): only attendees who joined an open workshop get a sandbox. */
  requireJoin: boolean;
  ringBytes: number;
  /** Issue 10: the warning before a workshop closes, and the time a prepared sandbox's smoke test may take. */
  closeWarningMs: number;
  prepareCheckMs: number;
  /**
   * The driver (SANDBOX) and what every container driver reads: the image and each sandbox's memory
   * and CPUs (podman's limits, kubernetes' pod limits). Engine-only settings stay under the engine's
   * name (issue 18 §10).
   */
  sandbox: { kind: SandboxKind; image: string; memory: string; cpus: number };
  /** SANDBOX=podman only. */
  podman: { isolation: Isolation; pidsLimit: number };
  /** SANDBOX=kubernetes (docs/kubernetes-driver.md). */
  kubernetes: {
    /** A kubeconfig file (KUBECONFIG); null: the in-cluster service account. */
    kubeconfig: string | null;
    namespacePrefix: string;
    runtimeClass: string | null;
    imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
    requests: { cpu: string; memory: string };
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const whole = (min: number, max: number) => {
  const expected = `expected a whole number from ${min} to ${max}`;
  return z.string().regex(/^\d+$/, expected).transform(Number).pipe(z.number().min(min, expected).max(max, expected));
};

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(', ')}` });

/** podman's `--memory` form; podman refuses less than 6 MiB, so that is checked here, by name. */
const MEMORY_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const memory = z.string().transform((raw, ctx) => {
  const m = /^([1-9][0-9]{0,12})([bkmg]?)$/i.exec(raw);
  if (!m || Number(m[1]) * MEMORY_UNITS[m[2]!.toLowerCase()]! < 6 * 1024 ** 2) {
    ctx.issues.push({ code: 'custom', input: raw, message: 'expected a size of at least 6m, like 512m or 2g' });
    return z.NEVER;
  }
  return raw.toLowerCase();
});

const cpus = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a number of CPUs above 0, like 1 or 0.5')
  .transform(Number)
  .pipe(z.number().gt(0, 'expected a number of CPUs above 0, like 1 or 0.5').max(1024, 'expected at most 1024 CPUs'));

/** `name` or `name:port` (IPv6 in brackets), as a Host header carries it. */
function hostName(raw: string): HostName | null {
  if (!/^[A-Za-z0-9.\-[\]:]+$/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(`http://${raw}`);
  } catch {
    return null;
  }
  if (url.pathname !== '/' || url.username || url.password) return null;
  const explicitPort = /:\d+$/.test(raw);
  return { hostname: url.hostname, port: explicitPort ? Number(raw.slice(raw.lastIndexOf(':') + 1)) : null };
}

const allowedHosts = z.string().transform((raw, ctx) => {
  const out: HostName[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const h = hostName(entry);
    if (!h) {
      ctx.issues.push({ code: 'custom', input: raw, message: `"${entry}" is not a host name or host:port` });
      return z.NEVER;
    }
    out.push(h);
  }
  return out;
});

const publicUrl = z.string().transform((raw, ctx) => {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.username) {
    ctx.issues.push({ code: 'custom', input: raw, message: 'expected the http(s) URL attendees open, with no path, like https://lab.example.org' });
    return z.NEVER;
  }
  return url;
});

/** A Kubernetes resource quantity as requests take it: `250m`, `0.5`, `256Mi`, `1G`. */
const kubeQuantity = z.string().regex(/^(\d+(\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/, 'expected a Kubernetes quantity, like 250m, 0.5, 256Mi or 1Gi');

/** A bind address: an IP literal or a plain host name. */
const bindHost = z.string().refine((h) => isIP(h) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(h), 'expected an IP address or a host name to bind');

/** Every variable labdeck reads. Unset and empty mean "use the default". */
const EnvSchema = z.object({
  // The local sandbox is a shell on this machine: only loopback unless the operator says otherwise.
  HOST: bindHost.default('127.0.0.1'),
  PORT: whole(0, 65535).default(3000),
  LABS_DIR: z.string().default('labs'),
  LABDECK_DATA_DIR: z.string().default('.data'),
  SANDBOX: oneOf(['local', 'podman', 'kubernetes']).default('local'),
  SANDBOX_ISOLATION: oneOf(['isolated', 'privileged']).default('isolated'),
  WORKSHOP: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'use lower-case letters, digits and dashes (max 31)')
    .default('default'),
  POOL_SIZE: whole(0, 200).optional(),
  GRACE_SECONDS: whole(1, 86_400).default(600),
  MAX_SESSIONS: whole(1, 10_000).default(300),
  NEW_SESSIONS_PER_SECOND: whole(1, 1000).default(10),
  NEW_SESSIONS_BURST: whole(1, 10_000).default(40),
  POOL_MAX_CREATING: whole(1, 64).default(4),
  POOL_MAX_WAITING: whole(0, 10_000).default(128),
  // Issue 17 §8: the token is the instructor's whole identity; wrong guesses are rate-limited too (auth.ts).
  INSTRUCTOR_TOKEN: z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(16, 'use at least 16 characters (a random one: openssl rand -base64 18), or leave it unset and labdeck generates one'))
    .optional(),
  PUBLIC_URL: publicUrl.optional(),
  ALLOWED_HOSTS: allowedHosts.default([]),
  ALLOW_LOCAL_ON_NETWORK: oneOf(['0', '1']).default('0'),
  // Default (unset): 1 unless this is a laptop's solo mode (loopback and the local driver); see loadConfig.
  REQUIRE_JOIN: oneOf(['0', '1']).optional(),
  ALLOWED_ORIGINS: z
    .string()
    .refine(() => false, 'replaced by ALLOWED_HOSTS (host names, e.g. lab.example.org) and PUBLIC_URL')
    .optional(),
  CLOSE_WARNING_SECONDS: whole(0, 3600).default(60),
  PREPARE_CHECK_SECONDS: whole(1, 600).default(60),
  SCREEN_RING_BYTES: whole(16 * 1024, 64 * 1024 * 1024).default(512 * 1024),
  SANDBOX_IMAGE: z.string().default('localhost/labdeck-sandbox:latest'),
  SANDBOX_PIDS: whole(16, 100_000).default(512),
  SANDBOX_MEMORY: memory.default('1g'),
  SANDBOX_CPUS: cpus.default(1),
  KUBECONFIG: z.string().optional(),
  KUBE_NAMESPACE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,20}$/, 'use lower-case letters, digits and dashes (max 21), starting with a letter or digit')
    .default('labdeck-'),
  KUBE_RUNTIME_CLASS: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'expected a RuntimeClass name, like kata or sysbox-runc')
    .optional(),
  KUBE_IMAGE_PULL_POLICY: oneOf(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  // Issue 17 §8: the namespace's quota is an object of deploy/ that the server only reads.
  KUBE_MAX_PODS: z
    .string()
    .refine(() => false, 'the sandbox namespace\'s ResourceQuota is deploy/workshop.yaml\'s now (the server only reads it): set `pods` there')
    .optional(),
  KUBE_CPU_REQUEST: kubeQuantity.default('250m'),
  KUBE_MEMORY_REQUEST: kubeQuantity.default('256Mi'),
});

/** Addresses that bind every interface: not a host name anyone can use in a URL. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

export function loadConfig(env: Env = process.env, root = process.cwd(), argv: string[] = process.argv): Config {
  const known = Object.keys(EnvSchema.shape);
  const set = Object.fromEntries(known.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '');
      return name === 'INSTRUCTOR_TOKEN' ? `${name}: ${i.message}` : `${name}=${env[name] ?? ''}: ${i.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const e = parsed.data;
  const allowLocalOnNetwork = e.ALLOW_LOCAL_ON_NETWORK === '1';
  if (e.SANDBOX === 'local' && !isLoopback(e.HOST) && !allowLocalOnNetwork) {
    throw new ConfigError(
      `HOST=${e.HOST} with SANDBOX=local: the local sandbox is a shell on THIS machine, as the server's user, ` +
        'and anyone who can reach the port would get one. Use SANDBOX=podman to open labdeck to a room, ' +
        'or set ALLOW_LOCAL_ON_NETWORK=1 if every client is trusted (e.g. a private VM).',
    );
  }
  const hosts = [...e.ALLOWED_HOSTS];
  if (e.PUBLIC_URL) hosts.unshift({ hostname: e.PUBLIC_URL.hostname, port: e.PUBLIC_URL.port ? Number(e.PUBLIC_URL.port) : null });
  return {
    host: e.HOST,
    port: e.PORT,
    dev: argv.includes('--dev'),
    labsDir: path.resolve(root, e.LABS_DIR),
    dataDir: path.resolve(root, e.LABDECK_DATA_DIR),
    workshop: e.WORKSHOP,
    poolSize: e.POOL_SIZE ?? (e.SANDBOX === 'local' ? 1 : 2),
    graceMs: e.GRACE_SECONDS * 1000,
    maxSessions: e.MAX_SESSIONS,
    newSessions: { perSecond: e.NEW_SESSIONS_PER_SECOND, burst: e.NEW_SESSIONS_BURST },
    pool: { maxCreating: e.POOL_MAX_CREATING, maxWaiting: e.POOL_MAX_WAITING },
    instructorToken: e.INSTRUCTOR_TOKEN ?? null,
    publicUrl: e.PUBLIC_URL ?? null,
    allowedHosts: hosts,
    allowLocalOnNetwork,
    // Anyone who can reach a room-facing server, or who gets a podman sandbox, must have joined; `npm
    // start` alone on a laptop (loopback, local shell) keeps its solo mode.
    requireJoin: e.REQUIRE_JOIN === undefined ? !isLoopback(e.HOST) || e.SANDBOX !== 'local' : e.REQUIRE_JOIN === '1',
    ringBytes: e.SCREEN_RING_BYTES,
    closeWarningMs: e.CLOSE_WARNING_SECONDS * 1000,
    prepareCheckMs: e.PREPARE_CHECK_SECONDS * 1000,
    sandbox: { kind: e.SANDBOX, image: e.SANDBOX_IMAGE, memory: e.SANDBOX_MEMORY, cpus: e.SANDBOX_CPUS },
    podman: { isolation: e.SANDBOX_ISOLATION, pidsLimit: e.SANDBOX_PIDS },
    kubernetes: {
      kubeconfig: e.KUBECONFIG ? path.resolve(root, e.KUBECONFIG) : null,
      namespacePrefix: e.KUBE_NAMESPACE_PREFIX,
      runtimeClass: e.KUBE_RUNTIME_CLASS ?? null,
      imagePullPolicy: e.KUBE_IMAGE_PULL_POLICY,
      requests: { cpu: e.KUBE_CPU_REQUEST, memory: e.KUBE_MEMORY_REQUEST },
    },
  };
}

/** Is this bind address (or Host name) loopback-only? */
export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}
