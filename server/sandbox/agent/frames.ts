/**
 * The labdeck agent's wire protocol: every constant both ends share, in this one file (issue 19 §1).
 * The agent's C header (sandbox/agent/frames.h) is generated from it by sandbox/agent/gen-header.ts,
 * and frames.test.ts fails when the committed header is not what the generator makes of this file.
 * docs/agent.md explains each frame; codec.ts reads and writes them.
 *
 * A frame is a 9-byte header — u32 payload length, u8 type, u32 channel, little-endian — then the
 * payload. Strings in payloads are u32 length + bytes (UTF-8, no NUL), integers little-endian.
 * Each group below becomes `#define LD_<GROUP>_<NAME> <value>` in the header.
 */

export const PROTOCOL = {
  VERSION: 1,
  HEADER_BYTES: 9,
} as const;

/** Frame types. Requests go server → agent, answers and streams agent → server; `both` say so. */
export const FRAME = {
  /** agent → server, channel 0: u16 version, u32 ring bytes, str agent version; first frame on every connection. */
  HELLO: 0x01,
  /** both, channel 0: u64 token; answered with PONG carrying it. */
  PING: 0x02,
  PONG: 0x03,
  /** agent → server: u16 code (ERROR_CODE), str message; ends the request on that channel. */
  ERROR: 0x04,

  /** Open or attach a terminal: str name, u64 instance (0: any), u64 resume offset (NO_OFFSET: send the ring), u16 cols, u16 rows, str cwd, u32 argc + str[], u32 envc + str[] ("K=V"). */
  TERM_OPEN: 0x10,
  /** u64 instance, u8 created, u64 start, u64 end (bytes start..end follow at once: the backlog), u64 input received, u32 pid. */
  TERM_OPENED: 0x11,
  /** both: terminal bytes (output agent → server, keystrokes server → agent). */
  TERM_DATA: 0x12,
  /** u16 cols, u16 rows. */
  TERM_RESIZE: 0x13,
  /** Flow control: stop / start sending this channel's output (the program blocks once the window fills). */
  TERM_PAUSE: 0x14,
  TERM_RESUME: 0x15,
  /** agent → server: u64 input bytes consumed (taken by the pty, or discarded) so far. */
  TERM_INPUT_ACK: 0x16,
  /** Drop input the pty has not taken yet (Ctrl-C jumps the queue). */
  TERM_DISCARD: 0x17,
  /** Let go of the terminal; it lives on, its output kept in its ring. */
  TERM_DETACH: 0x18,
  /** channel 0: str name, u64 instance (0: whatever runs under that name). Ends its session and every process with its marker. */
  TERM_KILL: 0x19,
  /** agent → server: i32 exit code (-1: none), i32 signal (0: none). The channel ends. */
  TERM_EXIT: 0x1a,
  /** agent → server: u8 reason (CLOSED); the channel ends without the terminal ending. */
  TERM_CLOSED: 0x1b,

  /** Run a command: u32 timeout ms, u32 max output bytes, str cwd, u32 argc + str[], u32 envc + str[]. */
  EXEC_START: 0x20,
  EXEC_STDOUT: 0x21,
  EXEC_STDERR: 0x22,
  /** agent → server: i32 code (128 + signal when killed), u8 flags (EXEC_FLAG). The channel ends. */
  EXEC_EXIT: 0x23,
  /** End the command now (its process group). */
  EXEC_KILL: 0x24,

  /** Follow a file by name from an offset: str path, u64 offset, u32 max bytes. */
  FOLLOW_START: 0x30,
  /** agent → server: u64 file offset of the first byte, bytes. An offset below the last one: the file was truncated or replaced. */
  FOLLOW_DATA: 0x31,
  FOLLOW_STOP: 0x32,
  /** agent → server: u8 reason (FOLLOW_END). The channel ends. */
  FOLLOW_END: 0x33,

  // Reserved for issue 20 (the file editor and the port preview); an agent answers ERROR unsupported.
  FILE_READ: 0x40,
  FILE_WRITE: 0x41,
  FILE_LIST: 0x42,
  FILE_STAT: 0x43,
  FILE_RESULT: 0x44,
  TCP_CONNECT: 0x50,
  TCP_CONNECTED: 0x51,
  TCP_DATA: 0x52,
  TCP_CLOSE: 0x53,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

/** Bounds both ends enforce (docs/agent.md, "Bounds"). */
export const LIMIT = {
  /**
   * Largest payload the agent accepts: an exec's argv carries a lab's script, or a Killercoda asset as
   * base64 arguments (server/teach/assets.ts: 768 KiB per exec). Below the kernel's ARG_MAX (2 MiB).
   */
  TO_AGENT_PAYLOAD: 1024 * 1024,
  /** Largest payload the server accepts from an agent. */
  FROM_AGENT_PAYLOAD: 64 * 1024,
  /** Largest data chunk either side sends in one frame. */
  DATA_CHUNK: 32 * 1024,
  /** Output ring per terminal in the agent: what a fresh client (a restarted server) gets back. */
  RING_BYTES: 512 * 1024,
  /** Output the agent reads ahead of what an attached channel has taken; then it stops reading the pty. */
  OUTPUT_WINDOW: 64 * 1024,
  /** Input the server sends ahead of what the pty has consumed. */
  INPUT_WINDOW: 64 * 1024,
  /** Input the agent queues per terminal; beyond it input is dropped (a server that ignores INPUT_WINDOW). */
  INPUT_QUEUE: 1024 * 1024,
  /** Output the agent queues for its connection before it stops reading ptys, pipes and files. */
  SEND_HIGH: 256 * 1024,
  /** Output queued for a connection that does not read at all: the agent drops the connection. */
  SEND_MAX: 4 * 1024 * 1024,
  MAX_TERMINALS: 16,
  MAX_EXECS: 32,
  MAX_FOLLOWS: 16,
  /** Terminal names: [A-Za-z0-9_.-], at most this long. */
  NAME_MAX: 32,
  /** Default and largest output an exec may produce (stdout and stderr together). */
  EXEC_OUTPUT_DEFAULT: 4 * 1024 * 1024,
  /** How often a followed file is checked for growth. */
  FOLLOW_POLL_MS: 250,
  /** The agent dials its socket again after this, doubling up to RECONNECT_MAX_MS. */
  RECONNECT_MIN_MS: 50,
  RECONNECT_MAX_MS: 1000,
  /** After an exec's process ended, how long its pipes may stay open (a grandchild holding them). */
  EXEC_PIPE_GRACE_MS: 200,
} as const;

/** "No offset": a fresh client; the agent sends its whole ring. */
export const NO_OFFSET = 0xffff_ffff_ffff_ffffn;

export const ERROR_CODE = {
  BAD_REQUEST: 1,
  LIMIT: 2,
  SPAWN_FAILED: 3,
  UNSUPPORTED: 4,
  NOT_FOUND: 5,
} as const;

export const EXEC_FLAG = {
  TIMED_OUT: 1,
  OVERFLOW: 2,
  SIGNALED: 4,
} as const;

export const FOLLOW_END = {
  LIMIT: 1,
} as const;

export const CLOSED = {
  /** Another channel attached to the same terminal. */
  TAKEN_OVER: 1,
} as const;

/**
 * Strings. MARKER: the variable every process of a terminal inherits, `<name>.<instance>` as its
 * value, by which a killed terminal's processes are swept (the one spelling: issue 18 bug 1).
 */
export const TEXT = {
  MARKER: 'LABDECK_SHELL',
} as const;
