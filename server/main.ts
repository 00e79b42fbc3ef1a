/**
 * labdeck's one process: Next.js for pages, the JSON API, and the terminal WebSocket, on one port.
 * This is the only file that chooses implementations and wires the layers together:
 *   config → store → labs → sandbox driver → pool → sessions → gateway (WebSocket) + api (HTTP) + Next.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { ConfigError, isLoopback, isWildcard, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openStore } from './store/index.js';
import type { StoredWorkshop } from './store/workshops.js';
import { LabCatalog } from './labs/catalog.js';
import { formatDiagnostic } from './labs/loader.js';
import type { SandboxDriver } from './sandbox/driver.js';
import { createDriver } from './sandbox/select.js';
import { SandboxPool } from './sandbox/pool.js';
import { SessionManager } from './terminal/sessions.js';
import { TerminalGateway } from './terminal/gateway.js';
import { WatchGateway } from './terminal/watch.js';
import { Presenter } from './workshop/presenter.js';
import { refusal, WORKSHOP_RULES } from './workshop/states.js';
import { closingCountdown, pendingMessages, presenterStep } from './terminal/announcements.js';
import { SocketServer } from './sockets/socket-server.js';
import { Auth, mintsSession } from './http/auth.js';
import { handleApi } from './http/api.js';
import { FailureBudget } from './http/rate-limit.js';
import { JOIN_BUDGET } from './http/workshop-api.js';
import { TeachRuntime } from './teach/runtime.js';
import { WorkshopControl } from './workshop/control.js';
import type { Sandbox } from './sandbox/driver.js';
import { HostGuard } from './http/host-guard.js';
import { ClassSocket } from './classroom/class-socket.js';
import { ExitStatusFollower, shellEnv } from './classroom/exit-status.js';
import { commandOutcome } from './classroom/stuck.js';
import { admit, guardUpgrade, pageCsp, refuse, refuseUpgrade, setSecurityHeaders } from './http/boundary.js';

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

  // The store's modules, each handed below to the layer whose port it fills (issue 18 §3).
  const store = openStore(path.join(config.dataDir, 'labdeck.db'), WORKSHOP_RULES);
  const { secrets, assignments, events, progress, workshops, messages, reads } = store;
  const instructorToken = config.instructorToken ?? secrets.secret('instructor-token', 18);
  // The port is known once the server listens (PORT=0 picks one); nothing is served before that.
  let boundPort = config.port;
  const hosts = new HostGuard(config.allowedHosts, config.host, () => boundPort);
  const auth = new Auth(Buffer.from(secrets.secret('cookie-secret')), instructorToken, hosts, config.publicUrl?.protocol === 'https:');
  const joinBudget = new FailureBudget(JOIN_BUDGET);
  const csp = pageCsp(config.dev);

  const labs = new LabCatalog(config.labsDir);
  await labs.load();
  for (const f of labs.failures) for (const d of f.diagnostics) log.error(`lab ${f.id} failed to load: ${formatDiagnostic(d)}`);
  log.info(`labs loaded from ${config.labsDir}`, { labs: labs.size, failed: labs.failures.length });

  const driver = await createDriver(config);
  for (const w of driver.info.warnings) log.warn(w);
  const pool = new SandboxPool(driver, assignments, { size: config.poolSize, ...config.pool }, log);
  const { adopted } = await pool.start();
  if (adopted > 0) log.info('re-adopted sandboxes from a previous run', { adopted });

  const sessions: SessionManager = new SessionManager(
    {
      pool,
      findBlock: (labId, blockId) => labs.findBlock(labId, blockId),
      stepCount: (labId) => labs.lab(labId)?.steps.length ?? null,
      store: { ...progress, sandboxOf: (a) => assignments.sandboxOf(a) },
      log,
      graceMs: config.graceMs,
      terminal: {
        driverInfo: driver.info,
        ringBytes: config.ringBytes,
        shellEnv: shellEnv(),
        announcements: [pendingMessages(messages), presenterStep({ forAttendee: (a) => presenter.forAttendee(a) }), closingCountdown((a) => control.statusOf(a))],
      },
      dismiss: (attendee, id) => messages.dismissMessage(attendee, id),
      reset: {
        labOf: (a) => progress.whereIs(a)?.labId ?? workshops.workshopOf(a)?.labId ?? null,
        beforeReset: (attendee, labId, sandbox): Promise<void> => teach.beforeReset(attendee, labId, sandbox),
        recordReset: (attendee, by) => progress.recordReset(attendee, by),
      },
      workshop: (attendee) => control.statusOf(attendee),
      followSandbox: (attendee, sandbox) =>
        new ExitStatusFollower(
          sandbox,
          progress.statusOffset(attendee, sandbox.id),
          (status, offset) => progress.recordCommand(attendee, { status, outcome: commandOutcome(status) }, { sandbox: sandbox.id, offset }),
          log,
        ),
    },
    {
      maxSessions: config.maxSessions,
      healthEveryMs: 10_000,
      newSessionsPerSecond: config.newSessions.perSecond,
      newSessionBurst: config.newSessions.burst,
    },
  );
  const presenter: Presenter = new Presenter({
    workshopOf: (a) => workshops.workshopOf(a),
    members: (w) => workshops.members(w).map((m) => m.attendee),
    tell: (a, msg) => sessions.get(a)?.present(msg),
  });
  const control: WorkshopControl = new WorkshopControl({ ...workshops, ...assignments }, pool, sessions, labs, log, { smokeTimeoutMs: config.prepareCheckMs });
  control.recover();
  const teach: TeachRuntime = new TeachRuntime({ labs, sandboxOf: (a): Sandbox | null => sessions.get(a)?.currentSandbox ?? null, store: progress, log });
  const gateway = new TerminalGateway(auth, sessions, log, {
    maxBadFrames: 50,
    // A member of a closed workshop gets no shell even in solo mode; a paused one's session says so itself.
    refuseShell: (attendee) => joinRefusal(workshops.workshopOf(attendee), config.requireJoin),
  });
  const watch = new WatchGateway(auth, sessions, log);

  const classSocket = new ClassSocket({
    auth,
    store: { ...reads, ...workshops, ...events },
    session: (a) => sessions.get(a),
    stepCount: (labId) => labs.lab(labId)?.steps.length ?? 0,
    stepTitles: (labId) => labs.lab(labId)?.steps.map((s) => s.title) ?? [],
    log,
  });
  const sockets = new SocketServer(log, { pingEveryMs: 30_000, originAllowed: (req) => auth.originAllowed(req) });
  for (const endpoint of [gateway, watch, classSocket]) sockets.add(endpoint);

  const httpStore = { ...workshops, ...messages, ...reads };

  process.env.NEXT_TELEMETRY_DISABLED = '1';
  const nextApp = next({ dev: config.dev, dir: root, hostname: config.host, port: config.port, quiet: !config.dev });
  const nextHandler = nextApp.getRequestHandler();
  await nextApp.prepare();
  const nextUpgrade = config.dev ? nextApp.getUpgradeHandler() : null;

  // A client must finish its request head in 15 s and its body in 30 s (checked every 2 s): one that
  // trickles or stops half-way is answered 408 and closed, instead of holding a socket for minutes.
  const server = http.createServer({ headersTimeout: 15_000, requestTimeout: 30_000, connectionsCheckingInterval: 2_000 }, (req, res) => {
    const admitted = admit(req, hosts);
    if (!admitted.ok) {
      log.warn('request refused', { why: admitted.why, host: (req.headers.host ?? '').slice(0, 200), addr: req.socket.remoteAddress ?? '' });
      return refuse(res, admitted.status, admitted.why);
    }
    const url = admitted.url;
    setSecurityHeaders(res, csp);
    void (async () => {
      let attendee = auth.attendeeFrom(req);
      if (!attendee && mintsSession(url.pathname, req.method ?? 'GET')) {
        attendee = auth.newAttendeeId();
        res.setHeader('Set-Cookie', auth.cookieHeader(attendee, req));
      }
      const handled = await handleApi(req, res, url, attendee, { labs, sessions, store: httpStore, auth, driver: driver.info, gateway, log, teach, presenter, publicUrl: config.publicUrl, control, closeWarningMs: config.closeWarningMs, requireJoin: config.requireJoin, joinBudget, isReady: () => ready });
      if (!handled) await nextHandler(req, res);
    })().catch((err: unknown) => {
      log.error('request failed', { url: req.url ?? '', err: String(err) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error\n');
    });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    guardUpgrade(
      socket,
      () => {
        const admitted = admit(req, hosts);
        if (!admitted.ok) {
          log.warn('upgrade refused', { why: admitted.why, host: (req.headers.host ?? '').slice(0, 200), addr: req.socket.remoteAddress ?? '' });
          return refuseUpgrade(socket, admitted.status, admitted.why);
        }
        if (sockets.handleUpgrade(req, socket, head, admitted.url)) return;
        if (nextUpgrade) return nextUpgrade(req, socket, head);
        return refuseUpgrade(socket, 404, 'Not Found');
      },
      (err) => log.error('upgrade failed', { url: req.url ?? '', err: String(err) }),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  boundPort = port;
  ready = true;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  announce(log, config, config.publicUrl?.origin ?? `http://${shownHost}:${port}`, instructorToken, driver);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    control.dispose();
    sessions.shutdown('The server is restarting; you will be reconnected.');
    classSocket.close();
    sockets.close();
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

/**
 * Why an attendee may not have a shell, as the sentence their page shows: under REQUIRE_JOIN=1 they
 * must have joined; a member's workshop must let pages attach (closed does not, even in solo mode:
 * server/workshop/states.ts). A paused workshop's page attaches and is told so by its session.
 */
function joinRefusal(workshop: StoredWorkshop | null, requireJoin: boolean): string | null {
  if (!workshop) return requireJoin ? 'Join the workshop first: open the join link (or /join) and type your name.' : null;
  return refusal(workshop, 'attach');
}

function announce(log: Logger, config: Config, url: string, token: string, driver: SandboxDriver): void {
  const lines = [
    '',
    `  labdeck is ready:  ${url}`,
    `  instructor:        ${url}/instructor   token: ${config.instructorToken ? '(from INSTRUCTOR_TOKEN)' : token}`,
    `  sandbox:           ${driver.info.name} — ${driver.info.isolation}`,
    `  joining:           ${config.requireJoin ? 'required (REQUIRE_JOIN=1): attendees open a workshop\'s join link' : 'not required (solo mode)'}`,
    `  labs:              ${config.labsDir}`,
    '',
  ];
  console.log(lines.join('\n'));
  if (config.sandbox.kind === 'local' && !isLoopback(config.host)) {
    // Only reachable with ALLOW_LOCAL_ON_NETWORK=1 (config.ts refuses it otherwise): say it loudly, every start.
    const banner = '!'.repeat(100);
    console.error(
      [
        banner,
        `!! HOST=${config.host} with SANDBOX=local (ALLOW_LOCAL_ON_NETWORK=1): anyone who can reach this port`,
        '!! gets a shell on THIS machine, with no isolation. Use SANDBOX=podman for anything but a trusted network.',
        banner,
      ].join('\n'),
    );
    log.warn(`HOST=${config.host} exposes the local sandbox to the network (ALLOW_LOCAL_ON_NETWORK=1)`);
  }
  if (isWildcard(config.host) && config.allowedHosts.length === 0) {
    log.warn(`HOST=${config.host}: requests are answered only for this machine's addresses; set PUBLIC_URL or ALLOWED_HOSTS for the name attendees use`);
  }
}

main().catch((err: unknown) => {
  console.error('labdeck failed to start:', err);
  process.exit(1);
});
