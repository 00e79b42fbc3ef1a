/*
 * labdeck-agent: the one resident process in every sandbox (issue 19 §1). It owns the attendee's
 * terminals (a pty each, in a session of its own, with a ring of its last output), runs out-of-band
 * commands (checks, setup scripts) and follows files (the exit-status report), all over ONE
 * connection to the labdeck server, in the length-prefixed frames of frames.h (generated from
 * server/sandbox/agent/frames.ts; docs/agent.md explains them).
 *
 *   labdeck-agent connect <socket>   dial the server's socket, again and again while it is away
 *                                    (podman: the container's main process, the socket bind-mounted
 *                                    read-only from the host)
 *   labdeck-agent listen <socket>    accept the server on a socket inside the sandbox (kubernetes:
 *                                    the pod's main process)
 *   labdeck-agent relay <socket>     copy stdin/stdout to and from that socket (kubernetes: the one
 *                                    exec stream per sandbox)
 *   labdeck-agent stdio              the protocol on stdin/stdout (tests; a local driver later)
 *
 * One C file, libc only, built static (sandbox/agent/build.sh): it runs where no Node exists, at
 * about 1 MB. Single-threaded around poll(2). Every buffer and table is bounded (frames.h LIMIT_*).
 * Terminals outlive connections: output produced while no server is attached goes on into the ring.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "frames.h"

#ifndef LD_AGENT_VERSION
#define LD_AGENT_VERSION "dev"
#endif

extern char **environ;

/* ---------------------------------------------------------------------------------------------- */
/* small helpers                                                                                   */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void logf_(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("labdeck-agent: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    logf_("out of memory");
    _exit(70);
  }
  return p;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* A payload being built (control frames only: small). */
struct pb {
  uint8_t b[512];
  size_t n;
};
static void pb_u8(struct pb *w, uint8_t v) { if (w->n + 1 <= sizeof w->b) w->b[w->n++] = v; }
static void pb_u16(struct pb *w, uint16_t v) { if (w->n + 2 <= sizeof w->b) { put_u16(w->b + w->n, v); w->n += 2; } }
static void pb_u32(struct pb *w, uint32_t v) { if (w->n + 4 <= sizeof w->b) { put_u32(w->b + w->n, v); w->n += 4; } }
static void pb_u64(struct pb *w, uint64_t v) { if (w->n + 8 <= sizeof w->b) { put_u64(w->b + w->n, v); w->n += 8; } }
static void pb_str(struct pb *w, const char *s) {
  size_t len = strlen(s);
  if (len > sizeof w->b - w->n - 4) len = sizeof w->b - w->n - 4;
  pb_u32(w, (uint32_t)len);
  memcpy(w->b + w->n, s, len);
  w->n += len;
}

/* A payload being read: every read is bounds-checked; `bad` sticks once anything is out of bounds. */
struct rd {
  const uint8_t *p;
  size_t n, off;
  int bad;
};
static uint64_t rd_uint(struct rd *r, size_t width) {
  if (r->bad || r->n - r->off < width) {
    r->bad = 1;
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++) v |= (uint64_t)r->p[r->off + i] << (8 * i);
  r->off += width;
  return v;
}
/* A string as a fresh NUL-terminated copy; NULL (and `bad`) when out of bounds or holding a NUL. */
static char *rd_str(struct rd *r) {
  uint64_t len = rd_uint(r, 4);
  if (r->bad || len > r->n - r->off || memchr(r->p + r->off, 0, (size_t)len)) {
    r->bad = 1;
    return NULL;
  }
  char *s = xmalloc((size_t)len + 1);
  memcpy(s, r->p + r->off, (size_t)len);
  s[len] = 0;
  r->off += (size_t)len;
  return s;
}
/* A u32 count then that many strings, as a NULL-terminated vector (at most `max`). */
static char **rd_strv(struct rd *r, uint32_t max) {
  uint32_t n = (uint32_t)rd_uint(r, 4);
  if (r->bad || n > max) {
    r->bad = 1;
    return NULL;
  }
  char **v = xmalloc(sizeof(char *) * (n + 1));
  for (uint32_t i = 0; i < n; i++) {
    v[i] = rd_str(r);
    if (!v[i]) {
      for (uint32_t j = 0; j < i; j++) free(v[j]);
      free(v);
      return NULL;
    }
  }
  v[n] = NULL;
  return v;
}
static void strv_free(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

/* ---------------------------------------------------------------------------------------------- */
/* the connection to the server                                                                    */

enum mode { MODE_CONNECT, MODE_LISTEN, MODE_STDIO };
static enum mode MODE;
static const char *SOCKET_PATH;
static int LISTEN_FD = -1;

static struct {
  int rfd, wfd; /* the same socket, or stdin/stdout; -1 when there is no server */
  uint8_t *rbuf;
  size_t rlen;
  uint8_t *wbuf;
  size_t woff, wlen, wcap;
} C = {-1, -1, NULL, 0, NULL, 0, 0, 0};

static uint64_t next_dial_ms, dial_backoff_ms = LD_LIMIT_RECONNECT_MIN_MS;

static int connected(void) { return C.wfd >= 0; }
static size_t queued(void) { return C.wlen - C.woff; }
/* Producers (ptys, pipes, files) read only while this holds: the connection is the bottleneck. */
static int conn_room(void) { return connected() && queued() < LD_LIMIT_SEND_HIGH; }

static void conn_close(const char *why);

static void conn_flush(void) {
  while (connected() && queued() > 0) {
    ssize_t w = write(C.wfd, C.wbuf + C.woff, queued());
    if (w > 0) {
      C.woff += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    conn_close("write failed");
    return;
  }
  if (C.woff == C.wlen) C.woff = C.wlen = 0;
}

/* Queue one frame (header, then up to two payload parts) and try to send it at once. */
static void out_frame2(uint8_t type, uint32_t chan, const void *a, size_t an, const void *b, size_t bn) {
  if (!connected()) return;
  size_t need = LD_PROTOCOL_HEADER_BYTES + an + bn;
  if (queued() + need > LD_LIMIT_SEND_MAX) {
    conn_close("the server does not read");
    return;
  }
  if (C.woff > 0 && C.wlen + need > C.wcap) {
    memmove(C.wbuf, C.wbuf + C.woff, queued());
    C.wlen -= C.woff;
    C.woff = 0;
  }
  if (C.wlen + need > C.wcap) {
    size_t cap = C.wcap ? C.wcap : 64 * 1024;
    while (cap < C.wlen + need) cap *= 2;
    uint8_t *nb = realloc(C.wbuf, cap);
    if (!nb) {
      conn_close("out of memory");
      return;
    }
    C.wbuf = nb;
    C.wcap = cap;
  }
  uint8_t *h = C.wbuf + C.wlen;
  put_u32(h, (uint32_t)(an + bn));
  h[4] = type;
  put_u32(h + 5, chan);
  if (an) memcpy(h + LD_PROTOCOL_HEADER_BYTES, a, an);
  if (bn) memcpy(h + LD_PROTOCOL_HEADER_BYTES + an, b, bn);
  C.wlen += need;
  conn_flush();
}
static void out_frame(uint8_t type, uint32_t chan, const struct pb *w) { out_frame2(type, chan, w ? w->b : NULL, w ? w->n : 0, NULL, 0); }

static void out_error(uint32_t chan, uint16_t code, const char *msg) {
  struct pb w = {.n = 0};
  pb_u16(&w, code);
  pb_str(&w, msg);
  out_frame(LD_FRAME_ERROR, chan, &w);
}

static void out_hello(void) {
  struct pb w = {.n = 0};
  pb_u16(&w, LD_PROTOCOL_VERSION);
  pb_u32(&w, LD_LIMIT_RING_BYTES);
  pb_str(&w, LD_AGENT_VERSION);
  pb_u32(&w, (uint32_t)getpid());
  out_frame(LD_FRAME_HELLO, 0, &w);
}

/* ---------------------------------------------------------------------------------------------- */
/* killing a terminal's processes: its session, and every process that carries its marker          */

/* Later passes of a sweep, by marker only (a marker names one terminal instance: never a newer one). */
struct resweep {
  char marker[96];
  uint64_t at;
  int left;
};
static struct resweep RESWEEPS[32];

/* True when the whole NUL-separated entry `entry` is in /proc/<pid>/environ. */
static int environ_has(long pid, const char *entry) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/environ", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  static char buf[256 * 1024];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) > 0) len += (size_t)n;
  close(fd);
  size_t elen = strlen(entry);
  for (size_t i = 0; i < len;) {
    size_t end = i;
    while (end < len && buf[end]) end++;
    if (end - i == elen && memcmp(buf + i, entry, elen) == 0) return 1;
    i = end + 1;
  }
  return 0;
}

/* One pass over /proc: SIGKILL every live process in session `sid` (0: none) or carrying `marker`. */
static int sweep_once(const char *marker, pid_t sid) {
  DIR *d = opendir("/proc");
  if (!d) return 0;
  int killed = 0;
  pid_t self = getpid();
  struct dirent *e;
  while ((e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 1 || pid == self) continue;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n <= 0) continue;
    stat[n] = 0;
    /* After the parenthesised name: state ppid pgrp session ... A zombie is dead already. */
    char *rp = strrchr(stat, ')');
    char state = 0;
    long ppid = 0, pgrp = 0, session = 0;
    if (!rp || sscanf(rp + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp, &session) != 4 || state == 'Z') continue;
    if ((sid > 0 && session == sid) || environ_has(pid, marker)) {
      if (kill((pid_t)pid, SIGKILL) == 0) killed++;
    }
  }
  closedir(d);
  return killed;
}

static void sweep(const char *marker, pid_t sid) {
  uint64_t until = now_ms() + 300;
  while (sweep_once(marker, sid) > 0 && now_ms() < until) usleep(2000);
  /* Stragglers (a process that was forking): again later, by marker alone. */
  int slot = 0;
  for (int i = 0; i < 32; i++) {
    if (RESWEEPS[i].left == 0) {
      slot = i;
      break;
    }
    if (RESWEEPS[i].at < RESWEEPS[slot].at) slot = i;
  }
  snprintf(RESWEEPS[slot].marker, sizeof RESWEEPS[slot].marker, "%s", marker);
  RESWEEPS[slot].at = now_ms() + 50;
  RESWEEPS[slot].left = 3;
}

static void resweep_due(uint64_t now) {
  for (int i = 0; i < 32; i++) {
    struct resweep *r = &RESWEEPS[i];
    if (r->left == 0 || r->at > now) continue;
    sweep_once(r->marker, 0);
    r->left--;
    r->at = now + (r->left == 2 ? 200 : 1000);
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* terminals                                                                                       */

struct term {
  int used;
  char name[LD_LIMIT_NAME_MAX + 1];
  uint64_t instance;
  char marker[96]; /* MARKER=<name>.<instance> */
  pid_t pid;
  int master;  /* -1 once closed */
  int hup;     /* the pty gave EIO: nothing more to read */
  uint8_t *ring;
  uint64_t offset; /* output bytes ever read from the pty */
  uint32_t chan;   /* attached channel, 0: none */
  uint64_t sent;   /* output sent to the attached channel */
  int paused;
  uint8_t *inq;
  size_t inq_len;
  uint64_t in_received, in_consumed, in_acked;
  int exited, status;
  uint64_t exited_at;
};
static struct term TERMS[LD_LIMIT_MAX_TERMINALS];
static uint64_t NEXT_INSTANCE = 1;

static uint64_t ring_start(const struct term *t) { return t->offset > LD_LIMIT_RING_BYTES ? t->offset - LD_LIMIT_RING_BYTES : 0; }

static struct term *term_by_name(const char *name) {
  for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++)
    if (TERMS[i].used && strcmp(TERMS[i].name, name) == 0) return &TERMS[i];
  return NULL;
}
static struct term *term_by_chan(uint32_t chan) {
  for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++)
    if (TERMS[i].used && TERMS[i].chan == chan) return &TERMS[i];
  return NULL;
}

static void term_free(struct term *t) {
  if (t->master >= 0) close(t->master);
  free(t->ring);
  free(t->inq);
  memset(t, 0, sizeof *t);
  t->master = -1;
}

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > LD_LIMIT_NAME_MAX) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-')) return 0;
  return 1;
}

/* environ, with `extra` ("K=V") set over it: a fresh vector the caller frees (strings are borrowed). */
static char **merge_env(char **extra, const char *marker) {
  size_t n = 0, m = 0;
  for (char **p = environ; *p; p++) n++;
  for (char **p = extra; p && *p; p++) m++;
  char **env = xmalloc(sizeof(char *) * (n + m + 2));
  size_t k = 0;
  for (char **p = environ; *p; p++) {
    const char *eq = strchr(*p, '=');
    size_t klen = eq ? (size_t)(eq - *p) : strlen(*p);
    int overridden = 0;
    for (char **q = extra; q && *q && !overridden; q++)
      if (strncmp(*q, *p, klen) == 0 && (*q)[klen] == '=') overridden = 1;
    if (marker && strncmp(*p, LD_TEXT_MARKER "=", sizeof LD_TEXT_MARKER) == 0) overridden = 1;
    if (!overridden) env[k++] = *p;
  }
  for (char **q = extra; q && *q; q++) env[k++] = *q;
  if (marker) env[k++] = (char *)marker;
  env[k] = NULL;
  return env;
}

static int valid_env(char **env) {
  for (char **p = env; p && *p; p++) {
    const char *s = *p, *eq = strchr(s, '=');
    if (!eq || eq == s) return 0;
    for (const char *c = s; c < eq; c++)
      if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' || (c > s && *c >= '0' && *c <= '9'))) return 0;
  }
  return 1;
}

/* In a forked child: default signal handling and mask, as a fresh process would have. */
static void child_signals(void) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int s = 1; s < 32; s++) signal(s, SIG_DFL);
}

static void child_exec(const char *cwd, char **argv, char **env) {
  for (int fd = 3; fd < 1024; fd++) close(fd);
  if (!cwd || !*cwd || chdir(cwd) != 0) {
    const char *home = getenv("HOME");
    if (!home || chdir(home) != 0) (void)chdir("/");
  }
  environ = env;
  execvp(argv[0], argv);
  dprintf(2, "labdeck-agent: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

static void set_winsize(int fd, uint16_t cols, uint16_t rows) {
  struct winsize ws = {.ws_row = rows < 1 ? 1 : rows > 1000 ? 1000 : rows, .ws_col = cols < 1 ? 1 : cols > 1000 ? 1000 : cols};
  ioctl(fd, TIOCSWINSZ, &ws);
}

static struct term *term_spawn(const char *name, uint16_t cols, uint16_t rows, const char *cwd, char **argv, char **extra, char *err, size_t errlen) {
  struct term *t = NULL;
  for (int i = 0; i < LD_LIMIT_MAX_TERMINALS && !t; i++)
    if (!TERMS[i].used) t = &TERMS[i];
  if (!t) {
    /* Full: make room by forgetting the oldest ended terminal nobody came back for. */
    for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++)
      if (TERMS[i].exited && !TERMS[i].chan && (!t || TERMS[i].exited_at < t->exited_at)) t = &TERMS[i];
    if (!t) {
      snprintf(err, errlen, "at most %d terminals", LD_LIMIT_MAX_TERMINALS);
      return NULL;
    }
    term_free(t);
  }
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  char pts[128];
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, pts, sizeof pts) != 0) {
    snprintf(err, errlen, "no pty: %s", strerror(errno));
    if (master >= 0) close(master);
    return NULL;
  }
  struct termios tio;
  if (tcgetattr(master, &tio) == 0) {
    tio.c_iflag |= IUTF8;
    tcsetattr(master, TCSANOW, &tio);
  }
  set_winsize(master, cols, rows);
  uint64_t instance = NEXT_INSTANCE++;
  char marker[96];
  snprintf(marker, sizeof marker, "%s=%s.%llu", LD_TEXT_MARKER, name, (unsigned long long)instance);
  char **env = merge_env(extra, marker);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    close(master);
    free(env);
    return NULL;
  }
  if (pid == 0) {
    child_signals();
    setsid();
    int slave = open(pts, O_RDWR);
    if (slave < 0) _exit(127);
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    child_exec(cwd, argv, env);
  }
  free(env);
  set_nonblock(master);
  memset(t, 0, sizeof *t);
  t->used = 1;
  snprintf(t->name, sizeof t->name, "%s", name);
  snprintf(t->marker, sizeof t->marker, "%s", marker);
  t->instance = instance;
  t->pid = pid;
  t->master = master;
  t->ring = xmalloc(LD_LIMIT_RING_BYTES);
  return t;
}

static void out_term_exit(struct term *t) {
  struct pb w = {.n = 0};
  int code = -1, sig = 0;
  if (WIFEXITED(t->status)) code = WEXITSTATUS(t->status);
  else if (WIFSIGNALED(t->status)) sig = WTERMSIG(t->status);
  pb_u32(&w, (uint32_t)code);
  pb_u32(&w, (uint32_t)sig);
  out_frame(LD_FRAME_TERM_EXIT, t->chan, &w);
}

/* Send what the attached channel has not had yet, as far as the connection takes it. */
static void term_pump(struct term *t) {
  while (t->chan && !t->paused && t->sent < t->offset && conn_room()) {
    size_t pos = (size_t)(t->sent % LD_LIMIT_RING_BYTES);
    size_t n = (size_t)(t->offset - t->sent);
    if (n > LD_LIMIT_DATA_CHUNK) n = LD_LIMIT_DATA_CHUNK;
    if (n > LD_LIMIT_RING_BYTES - pos) n = LD_LIMIT_RING_BYTES - pos;
    out_frame2(LD_FRAME_TERM_DATA, t->chan, t->ring + pos, n, NULL, 0);
    t->sent += n;
  }
  /* An ended terminal says so once its last output is out; then it is forgotten. */
  if (t->used && t->exited && t->master < 0 && t->chan && t->sent >= t->offset && connected()) {
    out_term_exit(t);
    term_free(t);
  }
}

static int term_wants_read(const struct term *t) {
  if (t->master < 0 || t->hup) return 0;
  /* Attached: read ahead at most a window of what the channel has taken (flow control). */
  return !t->chan || t->offset - t->sent < LD_LIMIT_OUTPUT_WINDOW;
}

/* Read from the pty into the ring; `budget` bounds one call. Returns 0 at EOF/EIO. */
static int term_read(struct term *t, size_t budget) {
  while (budget > 0) {
    size_t pos = (size_t)(t->offset % LD_LIMIT_RING_BYTES);
    size_t n = LD_LIMIT_RING_BYTES - pos;
    if (n > budget) n = budget;
    ssize_t r = read(t->master, t->ring + pos, n);
    if (r > 0) {
      t->offset += (uint64_t)r;
      budget -= (size_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
    t->hup = 1; /* EIO: no process holds the pty's other side any more */
    return 0;
  }
  return 1;
}

static void term_ack(struct term *t) {
  if (!t->chan || t->in_acked == t->in_consumed) return;
  struct pb w = {.n = 0};
  pb_u64(&w, t->in_consumed);
  out_frame(LD_FRAME_TERM_INPUT_ACK, t->chan, &w);
  t->in_acked = t->in_consumed;
}

static void term_write_input(struct term *t) {
  while (t->inq_len > 0 && t->master >= 0) {
    ssize_t w = write(t->master, t->inq, t->inq_len);
    if (w > 0) {
      memmove(t->inq, t->inq + w, t->inq_len - (size_t)w);
      t->inq_len -= (size_t)w;
      t->in_consumed += (uint64_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    /* The pty is gone: what waits is dropped (consumed, for the server's accounting). */
    t->in_consumed += t->inq_len;
    t->inq_len = 0;
  }
  term_ack(t);
}

/* The shell itself ended: keep its last output, end what it left behind, report when sent. */
static void term_ended(struct term *t, int status) {
  t->exited = 1;
  t->status = status;
  t->exited_at = now_ms();
  if (t->master >= 0) {
    /* Its last words, without overwriting what an attached channel has not had yet. */
    uint64_t room = LD_LIMIT_RING_BYTES - (t->chan ? t->offset - t->sent : 0);
    if (!t->hup && room > 0) term_read(t, (size_t)room);
    close(t->master);
    t->master = -1;
  }
  sweep(t->marker, t->pid);
  t->in_consumed += t->inq_len;
  t->inq_len = 0;
  term_pump(t);
}

/* End the terminal now: its session, its marked processes; the attached channel hears TERM_EXIT. */
static void term_kill(struct term *t) {
  if (!t->exited) {
    kill(-t->pid, SIGKILL);
    kill(t->pid, SIGKILL);
    sweep(t->marker, t->pid);
    t->status = SIGKILL; /* as waitpid would say: killed by SIGKILL */
  }
  if (t->chan && connected()) out_term_exit(t);
  term_free(t);
}

/* ---------------------------------------------------------------------------------------------- */
/* out-of-band commands                                                                            */

struct exec {
  int used;
  uint32_t chan;
  pid_t pid;
  int out, err; /* -1 once at EOF */
  uint64_t deadline, grace_until;
  uint64_t bytes, max;
  int exited, status;
  uint8_t flags;
};
static struct exec EXECS[LD_LIMIT_MAX_EXECS];

static struct exec *exec_by_chan(uint32_t chan) {
  for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++)
    if (EXECS[i].used && EXECS[i].chan == chan) return &EXECS[i];
  return NULL;
}

static void exec_close_pipes(struct exec *x) {
  if (x->out >= 0) close(x->out);
  if (x->err >= 0) close(x->err);
  x->out = x->err = -1;
}

static void exec_free(struct exec *x) {
  exec_close_pipes(x);
  memset(x, 0, sizeof *x);
  x->out = x->err = -1;
}

static void exec_kill(struct exec *x) {
  if (!x->exited) {
    kill(-x->pid, SIGKILL);
    kill(x->pid, SIGKILL);
  }
}

/* Done once the process has ended and its pipes are drained (or their grace is over). */
static void exec_maybe_done(struct exec *x, uint64_t now) {
  if (!x->used || !x->exited) return;
  if ((x->out >= 0 || x->err >= 0) && now < x->grace_until) return;
  exec_close_pipes(x);
  int code = 127;
  if (WIFEXITED(x->status)) code = WEXITSTATUS(x->status);
  else if (WIFSIGNALED(x->status)) {
    code = 128 + WTERMSIG(x->status);
    x->flags |= LD_EXEC_FLAG_SIGNALED;
  }
  struct pb w = {.n = 0};
  pb_u32(&w, (uint32_t)code);
  pb_u8(&w, x->flags);
  out_frame(LD_FRAME_EXEC_EXIT, x->chan, &w);
  exec_free(x);
}

static void exec_read(struct exec *x, int which) {
  int *fd = which == 1 ? &x->out : &x->err;
  static uint8_t buf[LD_LIMIT_DATA_CHUNK];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    close(*fd);
    *fd = -1;
    return;
  }
  if (x->bytes + (uint64_t)n > x->max) {
    /* Past its bound: ended, and nothing more of it is read. */
    x->flags |= LD_EXEC_FLAG_OVERFLOW;
    exec_kill(x);
    exec_close_pipes(x);
    return;
  }
  x->bytes += (uint64_t)n;
  out_frame2(which == 1 ? LD_FRAME_EXEC_STDOUT : LD_FRAME_EXEC_STDERR, x->chan, buf, (size_t)n, NULL, 0);
}

/* ---------------------------------------------------------------------------------------------- */
/* following a file by name (the exit-status report)                                               */

struct follow {
  int used;
  uint32_t chan;
  char *path;
  int fd;
  dev_t dev;
  ino_t ino;
  uint64_t offset, sent, max;
  uint64_t next_check;
};
static struct follow FOLLOWS[LD_LIMIT_MAX_FOLLOWS];

static struct follow *follow_by_chan(uint32_t chan) {
  for (int i = 0; i < LD_LIMIT_MAX_FOLLOWS; i++)
    if (FOLLOWS[i].used && FOLLOWS[i].chan == chan) return &FOLLOWS[i];
  return NULL;
}

static void follow_free(struct follow *f) {
  if (f->fd >= 0) close(f->fd);
  free(f->path);
  memset(f, 0, sizeof *f);
  f->fd = -1;
}

static void follow_check(struct follow *f, uint64_t now) {
  f->next_check = now + LD_LIMIT_FOLLOW_POLL_MS;
  struct stat st;
  /* Replaced or removed (tail -F): let go, and read the new one from its start. */
  if (f->fd >= 0 && (lstat(f->path, &st) != 0 || st.st_dev != f->dev || st.st_ino != f->ino)) {
    close(f->fd);
    f->fd = -1;
    f->offset = 0;
  }
  if (f->fd < 0) {
    /* Not a symlink, never blocking (a FIFO), and only a regular file is read (not /dev/zero). */
    int fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return;
    }
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
  }
  if (fstat(f->fd, &st) != 0) return;
  if ((uint64_t)st.st_size < f->offset) f->offset = 0; /* truncated */
  static uint8_t buf[LD_LIMIT_DATA_CHUNK];
  while (f->offset < (uint64_t)st.st_size && conn_room()) {
    size_t n = sizeof buf;
    if ((uint64_t)n > (uint64_t)st.st_size - f->offset) n = (size_t)((uint64_t)st.st_size - f->offset);
    if ((uint64_t)n > f->max - f->sent) n = (size_t)(f->max - f->sent);
    ssize_t r = pread(f->fd, buf, n, (off_t)f->offset);
    if (r <= 0) break;
    uint8_t off[8];
    put_u64(off, f->offset);
    out_frame2(LD_FRAME_FOLLOW_DATA, f->chan, off, 8, buf, (size_t)r);
    f->offset += (uint64_t)r;
    f->sent += (uint64_t)r;
    if (f->sent >= f->max) {
      struct pb w = {.n = 0};
      pb_u8(&w, LD_FOLLOW_END_LIMIT);
      out_frame(LD_FRAME_FOLLOW_END, f->chan, &w);
      follow_free(f);
      return;
    }
  }
  if (f->offset < (uint64_t)st.st_size) f->next_check = now; /* the connection was full: soon again */
}

/* ---------------------------------------------------------------------------------------------- */
/* requests                                                                                        */

static int chan_in_use(uint32_t chan) { return term_by_chan(chan) || exec_by_chan(chan) || follow_by_chan(chan); }

static void on_term_open(uint32_t chan, struct rd *r) {
  char *name = rd_str(r), *cwd = NULL;
  char **argv = NULL, **env = NULL;
  uint64_t instance = rd_uint(r, 8), resume = rd_uint(r, 8);
  uint16_t cols = (uint16_t)rd_uint(r, 2), rows = (uint16_t)rd_uint(r, 2);
  cwd = rd_str(r);
  argv = rd_strv(r, 256);
  env = rd_strv(r, 1024);
  char err[200] = "";
  if (r->bad || !name || !argv || !env || !argv[0] || chan == 0) snprintf(err, sizeof err, "malformed TERM_OPEN");
  else if (!valid_name(name)) snprintf(err, sizeof err, "bad terminal name");
  else if (!valid_env(env)) snprintf(err, sizeof err, "bad environment variable name");
  else if (chan_in_use(chan)) snprintf(err, sizeof err, "channel in use");
  if (*err) {
    out_error(chan, LD_ERROR_CODE_BAD_REQUEST, err);
    goto done;
  }
  struct term *t = term_by_name(name);
  int created = 0;
  /* A re-attach names the instance it had: never a newer shell of that name, never a new one. */
  if (instance != 0 && (!t || t->instance != instance)) {
    out_error(chan, LD_ERROR_CODE_NOT_FOUND, "that terminal has ended");
    goto done;
  }
  /* A fresh client (a restarted server) asking for a name whose shell has ended gets a new shell: the
     ended one's exit is only for a client that had it (a re-attach names its instance). */
  if (t && instance == 0 && t->exited && t->master < 0) {
    term_free(t);
    t = NULL;
  }
  if (!t) {
    t = term_spawn(name, cols, rows, cwd, argv, env, err, sizeof err);
    if (!t) {
      out_error(chan, strstr(err, "at most") ? LD_ERROR_CODE_LIMIT : LD_ERROR_CODE_SPAWN_FAILED, err);
      goto done;
    }
    created = 1;
  } else if (t->master >= 0) {
    set_winsize(t->master, cols, rows);
  }
  if (t->chan && t->chan != chan) {
    struct pb w = {.n = 0};
    pb_u8(&w, LD_CLOSED_TAKEN_OVER);
    out_frame(LD_FRAME_TERM_CLOSED, t->chan, &w);
  }
  /* The same shell as the client had, and the bytes it misses still in the ring: just those. */
  uint64_t start = ring_start(t);
  if (!created && instance == t->instance && resume != LD_NO_OFFSET && resume >= start && resume <= t->offset) start = resume;
  t->chan = chan;
  t->paused = 0;
  t->sent = start;
  t->in_acked = t->in_consumed;
  struct pb w = {.n = 0};
  pb_u64(&w, t->instance);
  pb_u8(&w, (uint8_t)created);
  pb_u64(&w, start);
  pb_u64(&w, t->offset);
  pb_u64(&w, t->in_received);
  pb_u32(&w, (uint32_t)t->pid);
  out_frame(LD_FRAME_TERM_OPENED, chan, &w);
  term_pump(t);
done:
  free(name);
  free(cwd);
  strv_free(argv);
  strv_free(env);
}

static void on_term_kill(struct rd *r) {
  char *name = rd_str(r);
  uint64_t instance = rd_uint(r, 8);
  if (!r->bad && name) {
    struct term *t = term_by_name(name);
    if (t && (instance == 0 || instance == t->instance)) term_kill(t);
  }
  free(name);
}

static void on_exec_start(uint32_t chan, struct rd *r) {
  uint32_t timeout = (uint32_t)rd_uint(r, 4), max = (uint32_t)rd_uint(r, 4);
  char *cwd = rd_str(r);
  char **argv = rd_strv(r, 4096), **env = rd_strv(r, 1024);
  struct exec *x = NULL;
  if (r->bad || !argv || !env || !argv[0] || chan == 0 || !valid_env(env)) {
    out_error(chan, LD_ERROR_CODE_BAD_REQUEST, "malformed EXEC_START");
    goto done;
  }
  if (chan_in_use(chan)) {
    out_error(chan, LD_ERROR_CODE_BAD_REQUEST, "channel in use");
    goto done;
  }
  for (int i = 0; i < LD_LIMIT_MAX_EXECS && !x; i++)
    if (!EXECS[i].used) x = &EXECS[i];
  if (!x) {
    out_error(chan, LD_ERROR_CODE_LIMIT, "too many commands at once");
    goto done;
  }
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    out_error(chan, LD_ERROR_CODE_SPAWN_FAILED, strerror(errno));
    goto done;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    out_error(chan, LD_ERROR_CODE_SPAWN_FAILED, strerror(errno));
    goto done;
  }
  char **fullenv = merge_env(env, NULL);
  pid_t pid = fork();
  if (pid == 0) {
    child_signals();
    setsid(); /* its own process group: a timeout or kill ends all of it */
    int null = open("/dev/null", O_RDONLY);
    dup2(null >= 0 ? null : 0, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    child_exec(cwd, argv, fullenv);
  }
  free(fullenv);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    out_error(chan, LD_ERROR_CODE_SPAWN_FAILED, strerror(errno));
    goto done;
  }
  set_nonblock(out[0]);
  set_nonblock(err[0]);
  memset(x, 0, sizeof *x);
  x->used = 1;
  x->chan = chan;
  x->pid = pid;
  x->out = out[0];
  x->err = err[0];
  x->max = max && max < LD_LIMIT_EXEC_OUTPUT_DEFAULT ? max : LD_LIMIT_EXEC_OUTPUT_DEFAULT;
  x->deadline = timeout ? now_ms() + timeout : 0;
done:
  free(cwd);
  strv_free(argv);
  strv_free(env);
}

static void on_follow_start(uint32_t chan, struct rd *r) {
  char *path = rd_str(r);
  uint64_t offset = rd_uint(r, 8);
  uint32_t max = (uint32_t)rd_uint(r, 4);
  struct follow *f = NULL;
  if (r->bad || !path || path[0] != '/' || chan == 0 || max == 0) {
    out_error(chan, LD_ERROR_CODE_BAD_REQUEST, "malformed FOLLOW_START");
    free(path);
    return;
  }
  if (chan_in_use(chan)) {
    out_error(chan, LD_ERROR_CODE_BAD_REQUEST, "channel in use");
    free(path);
    return;
  }
  for (int i = 0; i < LD_LIMIT_MAX_FOLLOWS && !f; i++)
    if (!FOLLOWS[i].used) f = &FOLLOWS[i];
  if (!f) {
    out_error(chan, LD_ERROR_CODE_LIMIT, "too many files followed");
    free(path);
    return;
  }
  memset(f, 0, sizeof *f);
  f->used = 1;
  f->chan = chan;
  f->path = path;
  f->fd = -1;
  f->offset = offset;
  f->max = max;
  f->next_check = 0;
}

static void on_frame(uint8_t type, uint32_t chan, const uint8_t *p, size_t n) {
  struct rd r = {p, n, 0, 0};
  struct term *t = chan ? term_by_chan(chan) : NULL;
  switch (type) {
  case LD_FRAME_PING: out_frame2(LD_FRAME_PONG, chan, p, n, NULL, 0); return;
  case LD_FRAME_TERM_OPEN: on_term_open(chan, &r); return;
  case LD_FRAME_TERM_KILL: on_term_kill(&r); return;
  case LD_FRAME_EXEC_START: on_exec_start(chan, &r); return;
  case LD_FRAME_FOLLOW_START: on_follow_start(chan, &r); return;
  case LD_FRAME_EXEC_KILL: {
    struct exec *x = exec_by_chan(chan);
    if (x) exec_kill(x);
    return;
  }
  case LD_FRAME_FOLLOW_STOP: {
    struct follow *f = follow_by_chan(chan);
    if (f) follow_free(f);
    return;
  }
  case LD_FRAME_TERM_DATA:
  case LD_FRAME_TERM_RESIZE:
  case LD_FRAME_TERM_PAUSE:
  case LD_FRAME_TERM_RESUME:
  case LD_FRAME_TERM_DISCARD:
  case LD_FRAME_TERM_DETACH:
    break;
  default:
    out_error(chan, LD_ERROR_CODE_UNSUPPORTED, "unsupported frame type");
    return;
  }
  /* Frames for an attached terminal; one that has just been detached or killed drops them. */
  if (!t) return;
  switch (type) {
  case LD_FRAME_TERM_DATA: {
    if (t->master < 0) return;
    t->in_received += n;
    size_t take = n;
    if (t->inq_len + take > LD_LIMIT_INPUT_QUEUE) take = LD_LIMIT_INPUT_QUEUE - t->inq_len;
    if (!t->inq) t->inq = xmalloc(LD_LIMIT_INPUT_QUEUE);
    memcpy(t->inq + t->inq_len, p, take);
    t->inq_len += take;
    t->in_consumed += n - take; /* past the bound: dropped */
    term_write_input(t);
    return;
  }
  case LD_FRAME_TERM_RESIZE: {
    uint16_t cols = (uint16_t)rd_uint(&r, 2), rows = (uint16_t)rd_uint(&r, 2);
    if (!r.bad && t->master >= 0) set_winsize(t->master, cols, rows);
    return;
  }
  case LD_FRAME_TERM_PAUSE: t->paused = 1; return;
  case LD_FRAME_TERM_RESUME: t->paused = 0; term_pump(t); return;
  case LD_FRAME_TERM_DISCARD:
    t->in_consumed += t->inq_len;
    t->inq_len = 0;
    term_ack(t);
    return;
  case LD_FRAME_TERM_DETACH: t->chan = 0; t->paused = 0; return;
  }
}

/* Parse every whole frame in the read buffer. */
static void conn_parse(void) {
  size_t off = 0;
  while (connected() && C.rlen - off >= LD_PROTOCOL_HEADER_BYTES) {
    const uint8_t *h = C.rbuf + off;
    uint32_t len = get_u32(h);
    if (len > LD_LIMIT_TO_AGENT_PAYLOAD) {
      conn_close("frame too large");
      return;
    }
    if (C.rlen - off < LD_PROTOCOL_HEADER_BYTES + (size_t)len) break;
    on_frame(h[4], get_u32(h + 5), h + LD_PROTOCOL_HEADER_BYTES, len);
    off += LD_PROTOCOL_HEADER_BYTES + len;
  }
  if (!connected()) return;
  memmove(C.rbuf, C.rbuf + off, C.rlen - off);
  C.rlen -= off;
}

static void conn_read(void) {
  size_t cap = LD_PROTOCOL_HEADER_BYTES + LD_LIMIT_TO_AGENT_PAYLOAD;
  if (C.rlen >= cap) return; /* cannot happen: a full buffer always holds a whole frame, parsed at once */
  ssize_t n = read(C.rfd, C.rbuf + C.rlen, cap - C.rlen);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    conn_close(n == 0 ? "the server went away" : "read failed");
    return;
  }
  C.rlen += (size_t)n;
  conn_parse();
}

static void shutdown_all(int code);

static void conn_close(const char *why) {
  if (!connected()) return;
  if (C.rfd >= 0) close(C.rfd);
  if (C.wfd >= 0 && C.wfd != C.rfd) close(C.wfd);
  C.rfd = C.wfd = -1;
  C.rlen = 0;
  C.woff = C.wlen = 0;
  if (MODE == MODE_STDIO) {
    /* The protocol on stdin/stdout lives as long as its one connection. */
    logf_("%s; ending", why);
    shutdown_all(0);
  }
  /* Terminals live on, their output going into their rings; commands and follows were the server's. */
  for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++) {
    TERMS[i].chan = 0;
    TERMS[i].paused = 0;
  }
  for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++)
    if (EXECS[i].used) {
      exec_kill(&EXECS[i]);
      exec_free(&EXECS[i]);
    }
  for (int i = 0; i < LD_LIMIT_MAX_FOLLOWS; i++)
    if (FOLLOWS[i].used) follow_free(&FOLLOWS[i]);
  next_dial_ms = now_ms() + dial_backoff_ms;
}

static void conn_open(int rfd, int wfd) {
  C.rfd = rfd;
  C.wfd = wfd;
  set_nonblock(rfd);
  set_nonblock(wfd);
  if (!C.rbuf) C.rbuf = xmalloc(LD_PROTOCOL_HEADER_BYTES + LD_LIMIT_TO_AGENT_PAYLOAD);
  C.rlen = 0;
  out_hello();
}

static int unix_socket(struct sockaddr_un *addr, const char *path) {
  if (strlen(path) >= sizeof addr->sun_path) {
    logf_("socket path too long: %s", path);
    exit(2);
  }
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  strcpy(addr->sun_path, path);
  return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static int dial(const char *path) {
  struct sockaddr_un addr;
  int fd = unix_socket(&addr, path);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void try_dial(uint64_t now) {
  int fd = dial(SOCKET_PATH);
  if (fd < 0) {
    next_dial_ms = now + dial_backoff_ms;
    dial_backoff_ms = dial_backoff_ms * 2 > LD_LIMIT_RECONNECT_MAX_MS ? LD_LIMIT_RECONNECT_MAX_MS : dial_backoff_ms * 2;
    return;
  }
  dial_backoff_ms = LD_LIMIT_RECONNECT_MIN_MS;
  conn_open(fd, fd);
}

/* ---------------------------------------------------------------------------------------------- */
/* the loop                                                                                        */

static void shutdown_all(int code) {
  for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++)
    if (TERMS[i].used) term_kill(&TERMS[i]);
  for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++)
    if (EXECS[i].used) exec_kill(&EXECS[i]);
  if (MODE == MODE_LISTEN && SOCKET_PATH) unlink(SOCKET_PATH);
  exit(code);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++)
      if (TERMS[i].used && !TERMS[i].exited && TERMS[i].pid == pid) term_ended(&TERMS[i], status);
    for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++)
      if (EXECS[i].used && !EXECS[i].exited && EXECS[i].pid == pid) {
        EXECS[i].exited = 1;
        EXECS[i].status = status;
        EXECS[i].grace_until = now_ms() + LD_LIMIT_EXEC_PIPE_GRACE_MS;
      }
  }
}

enum owner { O_SIGNAL, O_LISTEN, O_CONN, O_TERM, O_EXEC_OUT, O_EXEC_ERR };

static int run(void) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  if (sfd < 0) {
    logf_("signalfd: %s", strerror(errno));
    return 1;
  }
  enum { MAXFD = 4 + LD_LIMIT_MAX_TERMINALS + 2 * LD_LIMIT_MAX_EXECS };
  struct pollfd fds[MAXFD];
  int owner[MAXFD], index[MAXFD];
  for (;;) {
    uint64_t now = now_ms();
    if (MODE == MODE_CONNECT && !connected() && now >= next_dial_ms) try_dial(now);
    int n = 0;
#define WATCH(fd_, ev_, own_, idx_) (fds[n] = (struct pollfd){.fd = (fd_), .events = (short)(ev_)}, owner[n] = (own_), index[n] = (idx_), n++)
    WATCH(sfd, POLLIN, O_SIGNAL, 0);
    if (LISTEN_FD >= 0) WATCH(LISTEN_FD, POLLIN, O_LISTEN, 0);
    if (connected()) {
      if (C.rfd == C.wfd) WATCH(C.rfd, POLLIN | (queued() ? POLLOUT : 0), O_CONN, 0);
      else {
        WATCH(C.rfd, POLLIN, O_CONN, 0);
        if (queued()) WATCH(C.wfd, POLLOUT, O_CONN, 1);
      }
    }
    for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++) {
      struct term *t = &TERMS[i];
      short ev = (short)((term_wants_read(t) ? POLLIN : 0) | (t->inq_len && t->master >= 0 ? POLLOUT : 0));
      if (ev) WATCH(t->master, ev, O_TERM, i);
    }
    for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++) {
      if (!EXECS[i].used || !conn_room()) continue;
      if (EXECS[i].out >= 0) WATCH(EXECS[i].out, POLLIN, O_EXEC_OUT, i);
      if (EXECS[i].err >= 0) WATCH(EXECS[i].err, POLLIN, O_EXEC_ERR, i);
    }
    /* Timers: dialing, command deadlines and pipe graces, follows, late sweeps. */
    uint64_t wake = now + 60000;
    if (MODE == MODE_CONNECT && !connected() && next_dial_ms < wake) wake = next_dial_ms;
    for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++) {
      struct exec *x = &EXECS[i];
      if (x->used && x->deadline && !x->exited && x->deadline < wake) wake = x->deadline;
      if (x->used && x->exited && x->grace_until < wake) wake = x->grace_until;
    }
    for (int i = 0; i < LD_LIMIT_MAX_FOLLOWS; i++)
      if (FOLLOWS[i].used && conn_room() && FOLLOWS[i].next_check < wake) wake = FOLLOWS[i].next_check;
    for (int i = 0; i < 32; i++)
      if (RESWEEPS[i].left && RESWEEPS[i].at < wake) wake = RESWEEPS[i].at;
    int timeout = wake > now ? (int)(wake - now) : 0;
    int ready = poll(fds, (nfds_t)n, timeout);
    if (ready < 0 && errno != EINTR) {
      logf_("poll: %s", strerror(errno));
      return 1;
    }
    for (int k = 0; ready > 0 && k < n; k++) {
      short re = fds[k].revents;
      if (!re) continue;
      switch (owner[k]) {
      case O_SIGNAL: {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
          if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) shutdown_all(0);
        }
        reap();
        break;
      }
      case O_LISTEN: {
        int fd = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
          /* The newest client is the server (a restarted one, or a new relay): the old one goes. */
          conn_close("replaced by a new connection");
          conn_open(fd, fd);
        }
        break;
      }
      case O_CONN:
        if (index[k] == 0 && (re & (POLLIN | POLLHUP | POLLERR))) conn_read();
        if (connected() && (re & POLLOUT)) conn_flush();
        if (index[k] == 1 && (re & (POLLHUP | POLLERR))) conn_close("the server went away");
        break;
      case O_TERM: {
        struct term *t = &TERMS[index[k]];
        if (!t->used || t->master < 0) break;
        if (re & POLLOUT) term_write_input(t);
        if ((re & (POLLIN | POLLHUP | POLLERR)) && term_wants_read(t)) {
          size_t budget = t->chan ? LD_LIMIT_OUTPUT_WINDOW - (size_t)(t->offset - t->sent) : LD_LIMIT_DATA_CHUNK * 2;
          term_read(t, budget);
        }
        term_pump(t);
        break;
      }
      case O_EXEC_OUT:
      case O_EXEC_ERR:
        if (EXECS[index[k]].used) exec_read(&EXECS[index[k]], owner[k] == O_EXEC_OUT ? 1 : 2);
        break;
      }
    }
    now = now_ms();
    reap();
    /* The connection may have room again: let every stream go on. */
    for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++)
      if (TERMS[i].used) term_pump(&TERMS[i]);
    for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++) {
      struct exec *x = &EXECS[i];
      if (!x->used) continue;
      if (x->deadline && !x->exited && now >= x->deadline) {
        x->flags |= LD_EXEC_FLAG_TIMED_OUT;
        x->deadline = 0;
        exec_kill(x);
      }
      exec_maybe_done(x, now);
    }
    for (int i = 0; i < LD_LIMIT_MAX_FOLLOWS; i++)
      if (FOLLOWS[i].used && conn_room() && now >= FOLLOWS[i].next_check) follow_check(&FOLLOWS[i], now);
    resweep_due(now);
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* relay: stdin/stdout <-> the agent's socket (kubernetes: one exec stream per sandbox)             */

static int relay(const char *path) {
  signal(SIGPIPE, SIG_IGN);
  int fd = -1;
  for (int tries = 0; tries < 100 && (fd = dial(path)) < 0; tries++) usleep(100000);
  if (fd < 0) {
    logf_("cannot reach %s: %s", path, strerror(errno));
    return 1;
  }
  static uint8_t up[64 * 1024], down[64 * 1024]; /* stdin -> socket, socket -> stdout */
  size_t ul = 0, dl = 0;
  int in_open = 1, sock_open = 1;
  for (;;) {
    struct pollfd p[4];
    int n = 0, i_in = -1, i_sock = -1, i_out = -1;
    if (in_open && ul < sizeof up) p[i_in = n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    short sev = (short)((sock_open && dl < sizeof down ? POLLIN : 0) | (ul ? POLLOUT : 0));
    if (sev) p[i_sock = n++] = (struct pollfd){.fd = fd, .events = sev};
    if (dl) p[i_out = n++] = (struct pollfd){.fd = 1, .events = POLLOUT};
    if (n == 0) break;
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (i_in >= 0 && p[i_in].revents) {
      ssize_t r = read(0, up + ul, sizeof up - ul);
      if (r > 0) ul += (size_t)r;
      else if (r == 0 || errno != EINTR) in_open = 0;
    }
    if (i_sock >= 0 && (p[i_sock].revents & (POLLIN | POLLHUP | POLLERR)) && sock_open && dl < sizeof down) {
      ssize_t r = read(fd, down + dl, sizeof down - dl);
      if (r > 0) dl += (size_t)r;
      else if (r == 0 || errno != EINTR) sock_open = 0;
    }
    if (i_sock >= 0 && (p[i_sock].revents & POLLOUT) && ul) {
      ssize_t w = write(fd, up, ul);
      if (w > 0) {
        memmove(up, up + w, ul - (size_t)w);
        ul -= (size_t)w;
      } else if (w < 0 && errno != EINTR && errno != EAGAIN) return 0;
    }
    if (i_out >= 0 && p[i_out].revents && dl) {
      ssize_t w = write(1, down, dl);
      if (w > 0) {
        memmove(down, down + w, dl - (size_t)w);
        dl -= (size_t)w;
      } else if (w < 0 && errno != EINTR && errno != EAGAIN) return 0;
    }
    if (!in_open && ul == 0) shutdown(fd, SHUT_WR);
    if (!sock_open && dl == 0) return 0;
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------------- */

static int listen_on(const char *path) {
  char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    mkdir(dir, 0700);
  }
  struct sockaddr_un addr;
  int fd = unix_socket(&addr, path);
  unlink(path);
  mode_t old = umask(0077);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4) != 0) {
    logf_("cannot listen on %s: %s", path, strerror(errno));
    exit(1);
  }
  umask(old);
  set_nonblock(fd);
  return fd;
}

static int usage(void) {
  fputs("usage: labdeck-agent connect|listen|relay <socket> | stdio | version\n", stderr);
  return 2;
}

int main(int argc, char **argv) {
  for (int i = 0; i < LD_LIMIT_MAX_TERMINALS; i++) TERMS[i].master = -1;
  for (int i = 0; i < LD_LIMIT_MAX_EXECS; i++) EXECS[i].out = EXECS[i].err = -1;
  for (int i = 0; i < LD_LIMIT_MAX_FOLLOWS; i++) FOLLOWS[i].fd = -1;
  const char *cmd = argc > 1 ? argv[1] : "";
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("labdeck-agent %s (protocol %d)\n", LD_AGENT_VERSION, LD_PROTOCOL_VERSION);
    return 0;
  }
  if (strcmp(cmd, "stdio") == 0 || strcmp(cmd, "--stdio") == 0) {
    MODE = MODE_STDIO;
    conn_open(0, 1);
    return run();
  }
  if (argc != 3) return usage();
  SOCKET_PATH = argv[2];
  if (strcmp(cmd, "relay") == 0) return relay(SOCKET_PATH);
  if (strcmp(cmd, "connect") == 0) {
    MODE = MODE_CONNECT;
    return run();
  }
  if (strcmp(cmd, "listen") == 0) {
    MODE = MODE_LISTEN;
    LISTEN_FD = listen_on(SOCKET_PATH);
    return run();
  }
  return usage();
}
