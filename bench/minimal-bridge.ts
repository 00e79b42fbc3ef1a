/**
 * The floor for "a terminal over a WebSocket": ws + node-pty, nothing else. Output goes out as binary
 * frames the moment node-pty hands it over; a text frame in is written to the shell as is. No flow
 * control, no auth, no batching. Run as its own process: `node --import tsx bench/minimal-bridge.ts`;
 * prints `listening <port>` (PORT=0 picks a free one).
 */
import * as pty from 'node-pty';
import { WebSocketServer } from 'ws';
import { PS1 } from './util.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0), perMessageDeflate: false });

wss.on('connection', (ws) => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm-256color', LANG: 'C.UTF-8', PS1 };
  const shell = pty.spawn('/bin/bash', ['--noprofile', '--norc', '-i'], {
    name: 'xterm-256color', cols: 80, rows: 24, cwd: process.env.HOME ?? '/tmp', env,
    encoding: null as unknown as string, // Buffers, as labdeck reads them
  });
  shell.onData((d) => ws.send(d, { binary: true }));
  shell.onExit(() => ws.close());
  ws.on('message', (m: Buffer, isBinary: boolean) => {
    if (!isBinary) shell.write(m.toString('utf8'));
  });
  ws.on('close', () => {
    try {
      process.kill(-shell.pid, 'SIGHUP');
    } catch {
      /* gone */
    }
    shell.kill('SIGKILL');
  });
});

wss.on('listening', () => {
  const a = wss.address();
  console.log(`listening ${typeof a === 'string' || a === null ? a : a.port}`);
});
