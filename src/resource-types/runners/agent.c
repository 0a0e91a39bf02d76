/*
 * deployster's runner agent: PID 1 of a runner container. It starts the invocations that
 * deployster sends it and streams their output back, so an invocation in a runner costs a
 * fork and an exec inside the container instead of a `docker exec` (an exec create, a
 * hijacked start, an inspect, and runc setting up a process in the container's namespaces).
 *
 * Built static (scripts/build.sh, musl) and mounted read-only into the runner: the type's
 * image may hold nothing but one static binary. Its peer is deployster, over the container's
 * attached stdin and stdout (no TTY). The wire format is described in agent-protocol.ts.
 *
 * Frames: type (1 byte), invocation id (u32 LE), payload length (u32 LE), payload.
 *   in:  'S' start  payload: u32 argc, u32 envc, then NUL-terminated: cwd, argv..., env...
 *        'I' stdin bytes      'E' end of stdin      'K' kill (SIGKILL to its process group)
 *   out: 'R' ready (id 0, payload: version)    'O' stdout bytes    'X' stderr bytes
 *        'Z' exited (payload: i32 status: the exit code, or 128 + the signal)
 *
 * Each invocation runs in its own session and process group, with the agent's environment
 * (the container's) plus the env entries it was started with, in its working directory. When
 * it exits, what is left of its process group is killed (as a container's end kills all its
 * processes); 'Z' follows once its stdout and stderr are closed, or at most a second later.
 * End of the agent's stdin (deployster closed the attach connection, or died) ends the agent
 * and every invocation's process group (in a runner, the container and everything in it end
 * with PID 1 anyway). A malformed frame ends it too, with a line on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VERSION "deployster-agent 1"
#define HEADER 9
#define MAX_PAYLOAD (1u << 20)   /* a start frame's args and env, or one stdin chunk */
#define MAX_PENDING (64u << 20)  /* stdin bytes held for one invocation not yet read by it */
#define MAX_INVOCATIONS 256
#define CHUNK 65536
#define GRACE_MS 1000

struct invocation {
  int used;
  uint32_t id;
  pid_t pid;
  int exited, status;
  int in_fd, out_fd, err_fd;
  char *pending;
  size_t pending_len, pending_off;
  int stdin_ended;
  long long deadline; /* once exited: when to stop waiting for its output to close */
};

static struct invocation invs[MAX_INVOCATIONS];
static unsigned char inbuf[HEADER + MAX_PAYLOAD];
static size_t inlen;
static unsigned char outbuf[HEADER + CHUNK];

static void kill_all(void);

/* Ends the agent: every invocation's process group first (outside a container nothing else would). */
static void leave(int code) {
  kill_all();
  _exit(code);
}

static void die(const char *why) {
  dprintf(2, "deployster-agent: %s\n", why);
  leave(2);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) leave(3); /* deployster is gone: nothing left to serve */
    p += w;
    n -= (size_t)w;
  }
}

/* Sends a frame whose payload already sits at outbuf + HEADER. */
static void send_frame(char type, uint32_t id, uint32_t len) {
  outbuf[0] = (unsigned char)type;
  memcpy(outbuf + 1, &id, 4);
  memcpy(outbuf + 5, &len, 4);
  write_all(outbuf, HEADER + len);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* SIGKILL to a running invocation's group, and to itself (before its setsid the group does not exist yet). */
static void kill_invocation(const struct invocation *inv) {
  kill(-inv->pid, SIGKILL);
  kill(inv->pid, SIGKILL);
}

static void kill_all(void) {
  for (int i = 0; i < MAX_INVOCATIONS; i++)
    if (invs[i].used && !invs[i].exited) kill_invocation(&invs[i]);
}

static struct invocation *find(uint32_t id) {
  for (int i = 0; i < MAX_INVOCATIONS; i++)
    if (invs[i].used && invs[i].id == id) return &invs[i];
  return NULL;
}

/* Reports a start that failed before any process existed: its message, then 'Z'. */
static void refuse(uint32_t id, int status, const char *why) {
  size_t n = strlen(why);
  memcpy(outbuf + HEADER, why, n);
  send_frame('X', id, (uint32_t)n);
  int32_t s = status;
  memcpy(outbuf + HEADER, &s, 4);
  send_frame('Z', id, 4);
}

/* In the child: the invocation's process, or a message on its stderr and 126/127. */
static void exec_child(char *cwd, char **argv, char **env, int envc) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  setsid();
  if (chdir(cwd) != 0) {
    dprintf(2, "deployster runner: cannot enter %s: %s\n", cwd, strerror(errno));
    _exit(126);
  }
  for (int i = 0; i < envc; i++) putenv(env[i]);
  execvp(argv[0], argv);
  int e = errno;
  dprintf(2, "deployster runner: cannot run %s: %s\n", argv[0], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}

/* Splits a start payload into cwd, argv (NULL-terminated) and env; 0 when malformed. */
static int parse_start(unsigned char *p, uint32_t len, char **cwd, char ***argv, char ***env, uint32_t *envc) {
  uint32_t argc;
  if (len < 9 || p[len - 1] != 0) return 0;
  memcpy(&argc, p, 4);
  memcpy(envc, p + 4, 4);
  if (argc < 1 || argc > 65536 || *envc > 65536) return 0;
  char **strs = calloc((size_t)argc + *envc + 2, sizeof(char *));
  if (!strs) die("out of memory");
  uint32_t want = 1 + argc + *envc, got = 0, off = 8;
  while (off < len && got < want) {
    strs[got++] = (char *)p + off;
    off += (uint32_t)strlen((char *)p + off) + 1;
  }
  if (got != want || off != len) {
    free(strs);
    return 0;
  }
  *cwd = strs[0];
  *argv = strs + 1;
  *env = strs + 1 + argc + 1; /* argv's NULL sits between */
  memmove(*env, strs + 1 + argc, *envc * sizeof(char *));
  (*argv)[argc] = NULL;
  return 1;
}

static void start(uint32_t id, unsigned char *payload, uint32_t len) {
  char *cwd, **argv, **env;
  uint32_t envc;
  if (find(id)) die("start: invocation id in use");
  if (!parse_start(payload, len, &cwd, &argv, &env, &envc)) die("start: malformed payload");
  struct invocation *inv = NULL;
  for (int i = 0; i < MAX_INVOCATIONS && !inv; i++)
    if (!invs[i].used) inv = &invs[i];
  int in[2], out[2], err[2];
  if (!inv) {
    refuse(id, 126, "deployster runner: too many invocations at once\n");
  } else if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    refuse(id, 126, "deployster runner: cannot create pipes\n");
  } else {
    pid_t pid = fork();
    if (pid == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      exec_child(cwd, argv, env, (int)envc);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
      close(in[1]);
      close(out[0]);
      close(err[0]);
      refuse(id, 126, "deployster runner: cannot fork\n");
    } else {
      memset(inv, 0, sizeof *inv);
      inv->used = 1;
      inv->id = id;
      inv->pid = pid;
      inv->in_fd = in[1];
      inv->out_fd = out[0];
      inv->err_fd = err[0];
      fcntl(inv->in_fd, F_SETFL, O_NONBLOCK);
      fcntl(inv->out_fd, F_SETFL, O_NONBLOCK);
      fcntl(inv->err_fd, F_SETFL, O_NONBLOCK);
    }
  }
  free(argv - 1);
}

/* Writes what it can of an invocation's pending stdin; closes it once all is written and ended. */
static void feed(struct invocation *inv) {
  while (inv->in_fd >= 0 && inv->pending_off < inv->pending_len) {
    ssize_t w = write(inv->in_fd, inv->pending + inv->pending_off, inv->pending_len - inv->pending_off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w < 0) { /* EPIPE: it closed its stdin; the rest is dropped */
      close_fd(&inv->in_fd);
      break;
    }
    inv->pending_off += (size_t)w;
  }
  free(inv->pending);
  inv->pending = NULL;
  inv->pending_len = inv->pending_off = 0;
  if (inv->stdin_ended) close_fd(&inv->in_fd);
}

static void add_stdin(struct invocation *inv, const unsigned char *p, uint32_t len) {
  if (inv->in_fd < 0 || inv->stdin_ended || len == 0) return;
  size_t keep = inv->pending_len - inv->pending_off;
  if (keep + len > MAX_PENDING) die("stdin: too much pending for one invocation");
  char *buf = malloc(keep + len);
  if (!buf) die("out of memory");
  if (keep) memcpy(buf, inv->pending + inv->pending_off, keep);
  memcpy(buf + keep, p, len);
  free(inv->pending);
  inv->pending = buf;
  inv->pending_len = keep + len;
  inv->pending_off = 0;
  feed(inv);
}

static void handle_frame(char type, uint32_t id, unsigned char *payload, uint32_t len) {
  struct invocation *inv = type == 'S' ? NULL : find(id);
  switch (type) {
  case 'S': start(id, payload, len); break;
  case 'I': if (inv) add_stdin(inv, payload, len); break;
  case 'E':
    if (inv) {
      inv->stdin_ended = 1;
      if (inv->pending_off >= inv->pending_len) close_fd(&inv->in_fd);
    }
    break;
  case 'K':
    if (inv && !inv->exited) kill_invocation(inv);
    break;
  default: die("unknown frame type");
  }
}

/* Reads deployster's frames; at end of stdin the agent (and so the container) ends. */
static void read_requests(void) {
  ssize_t n = read(0, inbuf + inlen, sizeof inbuf - inlen);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) leave(0);
  inlen += (size_t)n;
  size_t off = 0;
  while (inlen - off >= HEADER) {
    uint32_t id, len;
    memcpy(&id, inbuf + off + 1, 4);
    memcpy(&len, inbuf + off + 5, 4);
    if (len > MAX_PAYLOAD) die("frame too large");
    if (inlen - off < HEADER + len) break;
    handle_frame((char)inbuf[off], id, inbuf + off + HEADER, len);
    off += HEADER + len;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
}

static void reap(int sigfd) {
  struct signalfd_siginfo si;
  while (read(sigfd, &si, sizeof si) == sizeof si) {}
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_INVOCATIONS; i++) {
      struct invocation *inv = &invs[i];
      if (!inv->used || inv->pid != pid || inv->exited) continue;
      inv->exited = 1;
      inv->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      inv->deadline = now_ms() + GRACE_MS;
      kill(-pid, SIGKILL); /* what it left running in its group ends with it */
    }
  }
}

/* Forwards what one of an invocation's output pipes holds; closes it at its end. */
static void forward(struct invocation *inv, int *fd, char type) {
  ssize_t n = read(*fd, outbuf + HEADER, CHUNK);
  if (n > 0) send_frame(type, inv->id, (uint32_t)n);
  else if (n == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(fd);
}

/* Sends 'Z' for an invocation that has exited and whose output has closed (or whose grace has run out). */
static void finish(struct invocation *inv, long long now) {
  if (!inv->exited) return;
  if ((inv->out_fd >= 0 || inv->err_fd >= 0) && now < inv->deadline) return;
  close_fd(&inv->in_fd);
  close_fd(&inv->out_fd);
  close_fd(&inv->err_fd);
  free(inv->pending);
  int32_t s = inv->status;
  memcpy(outbuf + HEADER, &s, 4);
  send_frame('Z', inv->id, 4);
  memset(inv, 0, sizeof *inv);
}

int main(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd < 0) die("signalfd");
  signal(SIGPIPE, SIG_IGN);
  fcntl(0, F_SETFD, FD_CLOEXEC);
  memcpy(outbuf + HEADER, VERSION, strlen(VERSION));
  send_frame('R', 0, (uint32_t)strlen(VERSION));

  static struct pollfd fds[2 + 3 * MAX_INVOCATIONS];
  static struct { struct invocation *inv; int which; } owner[2 + 3 * MAX_INVOCATIONS];
  for (;;) {
    int n = 0, timeout = -1;
    long long now = now_ms();
    fds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
    for (int i = 0; i < MAX_INVOCATIONS; i++) {
      struct invocation *inv = &invs[i];
      if (!inv->used) continue;
      if (inv->in_fd >= 0 && inv->pending_len > inv->pending_off) {
        owner[n].inv = inv, owner[n].which = 0;
        fds[n++] = (struct pollfd){.fd = inv->in_fd, .events = POLLOUT};
      }
      if (inv->out_fd >= 0) {
        owner[n].inv = inv, owner[n].which = 1;
        fds[n++] = (struct pollfd){.fd = inv->out_fd, .events = POLLIN};
      }
      if (inv->err_fd >= 0) {
        owner[n].inv = inv, owner[n].which = 2;
        fds[n++] = (struct pollfd){.fd = inv->err_fd, .events = POLLIN};
      }
      if (inv->exited) {
        long long left = inv->deadline - now;
        int t = left < 0 ? 0 : (int)left;
        if (timeout < 0 || t < timeout) timeout = t;
      }
    }
    if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) die("poll");
    for (int k = 2; k < n; k++) {
      if (!fds[k].revents) continue;
      struct invocation *inv = owner[k].inv;
      if (owner[k].which == 0) feed(inv);
      else if (owner[k].which == 1) forward(inv, &inv->out_fd, 'O');
      else forward(inv, &inv->err_fd, 'X');
    }
    if (fds[1].revents) reap(sigfd);
    if (fds[0].revents) read_requests();
    now = now_ms();
    for (int i = 0; i < MAX_INVOCATIONS; i++)
      if (invs[i].used) finish(&invs[i], now);
  }
}
