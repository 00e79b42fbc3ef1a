/**
 * Where a podman sandbox's agent reaches the server (issue 19 §1): one Unix socket per sandbox, in a
 * folder of its own under the server's data folder, `<agentsDir>/<container name>/agent.sock`. The
 * folder is bind-mounted READ-ONLY into that container only (at AGENT_MOUNT), and the agent — the
 * container's main process — dials the socket, again and again while the server is away.
 *
 * Authentication is by construction: a sandbox sees no folder but its own, cannot replace or unlink
 * the socket (read-only mount), and which sandbox a connection belongs to is which listener accepted
 * it. What does connect is still untrusted (root in the sandbox can replace the agent): a connection is
 * adopted only after a valid hello and only while the sandbox has no live one, and a listener accepts
 * at most a burst of ACCEPT_BURST connections, then one per second, so a sandbox that reconnects in a
 * loop costs the server next to nothing.
 */
import { chmod, mkdir, rm, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { AgentConnection } from '../agent/connection.js';
import type { AgentLink } from '../agent/link.js';

/** Where the sandbox sees its folder. */
export const AGENT_MOUNT = '/run/labdeck';
export const AGENT_SOCKET = 'agent.sock';
/** The longest path a Unix socket may have (sun_path is 108 bytes on Linux, NUL included). */
export const SOCKET_PATH_MAX = 107;
const ACCEPT_BURST = 5;

export class AgentSocket {
  private tokens = ACCEPT_BURST;
  private tokensAt = Date.now();

  private constructor(
    readonly dir: string,
    private readonly server: net.Server,
  ) {}

  get path(): string {
    return path.join(this.dir, AGENT_SOCKET);
  }

  /** Listen for `link`'s agent in `dir` (made if missing; a stale socket of a previous server is replaced). */
  static async listen(dir: string, link: AgentLink): Promise<AgentSocket> {
    const file = path.join(dir, AGENT_SOCKET);
    if (file.length > SOCKET_PATH_MAX) throw new Error(`agent socket path too long for a Unix socket (${file.length} > ${SOCKET_PATH_MAX}): ${file}`);
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
    // 0711: the sandbox's root (another host uid in an isolated sandbox) must reach the socket; the
    // folder is only ever seen, read-only, by its own sandbox (the data folder above it is 0700).
    await mkdir(dir, { recursive: true, mode: 0o711 });
    await chmod(dir, 0o711);
    await unlink(file).catch(() => undefined);
    const server = net.createServer();
    const socket = new AgentSocket(dir, server);
    server.on('connection', (s) => socket.accept(s, link));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    // Connecting needs write permission on the socket; the sandbox's root is "other" on the host.
    await chmod(file, 0o666);
    return socket;
  }

  private accept(s: net.Socket, link: AgentLink): void {
    const now = Date.now();
    this.tokens = Math.min(ACCEPT_BURST, this.tokens + (now - this.tokensAt) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) {
      s.destroy();
      return;
    }
    this.tokens -= 1;
    const conn = new AgentConnection(s, { helloTimeoutMs: 5000 });
    conn.hello.then(
      // While the sandbox's agent is connected, nothing else is taken for it: a Unix socket's peer
      // going away is seen at once, so a second hello is another process in the sandbox (root there
      // can run one) trying to take the connection over.
      () => (link.connected ? conn.close('the sandbox\'s agent is connected already') : link.adopt(conn)),
      () => undefined,
    );
  }

  /** Stop listening (server shutdown: the agent dials again, and the next server listens again). */
  close(): void {
    this.server.close();
  }

  /** Stop listening and remove the folder (the sandbox is gone). */
  async remove(): Promise<void> {
    this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
