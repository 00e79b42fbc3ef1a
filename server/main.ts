/**
 * labdeck's one process: Next.js for pages, the JSON API, and the terminal WebSocket, on one port.
 * This is the only file that chooses implementations and wires the layers together:
 *   config → store → labs → sandbox driver → pool → sessions → gateway (WebSocket) + api (HTTP) + Next.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { TERMINAL_PATH } from '../common/protocol.js';
import { ConfigError, isLoopback, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { Store } from './store/store.js';
import { LabCatalog } from './labs/catalog.js';
import { formatDiagnostic } from './labs/loader.js';
import type { SandboxDriver } from './sandbox/driver.js';
import { createDriver } from './sandbox/select.js';
import { SandboxPool } from './sandbox/pool.js';
import { SessionManager } from './terminal/sessions.js';
import { TerminalGateway } from './terminal/gateway.js';
import { Auth } from './http/auth.js';
import { handleApi } from './http/api.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env, root);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`labdeck: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger();
  let ready = false;

  const store = new Store(path.join(config.dataDir, 'labdeck.db'));
  const instructorToken = config.instructorToken ?? store.secret('instructor-token', 18);
  const auth = new Auth(Buffer.from(store.secret('cookie-secret')), instructorToken, config.allowedOrigins);

  const labs = new LabCatalog(config.labsDir);
  await labs.load();
  for (const f of labs.failures) for (const d of f.diagnostics) log.error(`lab ${f.id} failed to load: ${formatDiagnostic(d)}`);
  log.info(`labs loaded from ${config.labsDir}`, { labs: labs.size, failed: labs.failures.length });

  const driver = await createDriver(config);
  for (const w of driver.info.warnings) log.warn(w);
  const pool = new SandboxPool(driver, store, { size: config.poolSize }, log);
  const { adopted } = await pool.start();
  if (adopted > 0) log.info('re-adopted sandboxes from a previous run', { adopted });

  const sessions = new SessionManager(
    {
      pool,
      driverInfo: driver.info,
      findBlock: (labId, blockId) => labs.findBlock(labId, blockId),
      store,
      log,
      graceMs: config.graceMs,
      ringBytes: config.ringBytes,
    },
    { maxSessions: config.maxSessions, healthEveryMs: 10_000 },
  );
  const gateway = new TerminalGateway(auth, sessions, log, { maxBadFrames: 50, pingEveryMs: 30_000 });

  process.env.NEXT_TELEMETRY_DISABLED = '1';
  const nextApp = next({ dev: config.dev, dir: root, hostname: config.host, port: config.port, quiet: !config.dev });
  const nextHandler = nextApp.getRequestHandler();
  await nextApp.prepare();
  const nextUpgrade = config.dev ? nextApp.getUpgradeHandler() : null;

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'same-origin');
      let attendee = auth.attendeeFrom(req);
      if (!attendee) {
        attendee = auth.newAttendeeId();
        // Secure cookies only when the request really came over TLS (e.g. through a proxy).
        res.setHeader('Set-Cookie', auth.cookieHeader(attendee, req.headers['x-forwarded-proto'] === 'https'));
      }
      const handled = await handleApi(req, res, url, attendee, { labs, sessions, store, auth, driver: driver.info, gateway, log, isReady: () => ready });
      if (!handled) await nextHandler(req, res);
    })().catch((err: unknown) => {
      log.error('request failed', { url: req.url ?? '', err: String(err) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error\n');
    });
  });

  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === TERMINAL_PATH) gateway.handleUpgrade(req, socket, head);
    else if (nextUpgrade) void nextUpgrade(req, socket, head);
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  ready = true;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  announce(log, config, `http://${shownHost}:${port}`, instructorToken, driver);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    sessions.shutdown('The server is restarting; you will be reconnected.');
    gateway.close();
    server.close();
    server.closeAllConnections();
    const deadline = setTimeout(() => process.exit(1), 8000);
    deadline.unref();
    void pool
      .close()
      .then(() => driver.close())
      .then(() => store.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function announce(log: Logger, config: Config, url: string, token: string, driver: SandboxDriver): void {
  const lines = [
    '',
    `  labdeck is ready:  ${url}`,
    `  instructor:        ${url}/instructor   token: ${config.instructorToken ? '(from INSTRUCTOR_TOKEN)' : token}`,
    `  sandbox:           ${driver.info.name} — ${driver.info.isolation}`,
    `  labs:              ${config.labsDir}`,
    '',
  ];
  console.log(lines.join('\n'));
  if (config.sandbox === 'local' && !isLoopback(config.host)) {
    log.warn(
      `HOST=${config.host} exposes the local sandbox — a shell on THIS machine — to the network. ` +
        'Use SANDBOX=podman for anything but your own machine.',
    );
  }
}

main().catch((err: unknown) => {
  console.error('labdeck failed to start:', err);
  process.exit(1);
});
