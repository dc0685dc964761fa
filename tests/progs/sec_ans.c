// Escalated calls that must always get an answer (tests/security/answers_test.cc and
// unotify_selftests_test.cc). One operation per command-line word group; each prints one line
// "OP=RESULT" (RESULT: a value, or "-1 ERRNO"):
//   opath PATH          open(PATH, O_PATH)
//   emfile PATH         RLIMIT_NOFILE lowered to the fds in use, open(PATH) (EMFILE expected),
//                       the limit restored, open(PATH) again: "emfile=-1 EMFILE" "after=0"
//   fifo FIFO FILE      a thread opens FIFO for reading (no writer: blocks); meanwhile the main
//                       thread stats FILE 50 times, then opens FIFO for writing: "stats=50",
//                       "fifo=ok" once both opens returned
//   hang FIFO           prints "pid=N" and blocks in open(FIFO) (for a test that kills it)
//   flood FIFO N        N threads open FIFO for reading at once; prints "eagain=K" (the opens
//                       refused at once) when N-K remain blocked, then exits
//   signal FIFO R       a thread opens FIFO for reading; the main thread signals it (SIGUSR1,
//                       SA_RESTART if R is 1) until its handler ran, then opens the writer:
//                       "signal=<fd or -1 EINTR> handled=1"
//   getppid             getppid()
//   threads N           N threads call getppid 100 times each at once: "threads=<calls that
//                       returned 42>"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void result(const char* op, long rc) {
  if (rc < 0) printf("%s=-1 %s\n", op, strerrorname_np(errno));
  else printf("%s=%ld\n", op, rc);
  fflush(stdout);
}

static const char* g_fifo;
static int g_pipe[2];
static volatile int g_handled;
static volatile pid_t g_tid;

static void* reader(void* arg) {
  (void)arg;
  g_tid = (pid_t)syscall(SYS_gettid);
  char c = 'r';
  write(g_pipe[1], &c, 1);
  int fd = open(g_fifo, O_RDONLY);
  int err = errno;
  long r = fd;
  write(g_pipe[1], &r, sizeof r);
  write(g_pipe[1], &err, sizeof err);
  return NULL;
}

static void on_usr1(int sig) {
  (void)sig;
  g_handled = 1;
}

static volatile int g_answered;

static void* getppider(void* arg) {
  (void)arg;
  for (int k = 0; k < 100; ++k)
    if (getppid() == 42) __atomic_add_fetch(&g_answered, 1, __ATOMIC_RELAXED);
  return NULL;
}

static void* flooder(void* arg) {
  (void)arg;
  int fd = open(g_fifo, O_RDONLY);
  char c = fd < 0 && errno == EAGAIN ? 'e' : 'o';
  write(g_pipe[1], &c, 1);
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pipe(g_pipe);
  for (int i = 1; i < argc; ++i) {
    const char* op = argv[i];
    const char* a = i + 1 < argc ? argv[i + 1] : "";
    const char* b = i + 2 < argc ? argv[i + 2] : "";
    if (!strcmp(op, "opath")) {
      result(op, open(a, O_PATH));
      i += 1;
    } else if (!strcmp(op, "emfile")) {
      struct rlimit old, lim;
      getrlimit(RLIMIT_NOFILE, &old);
      int next = dup(0);
      close(next);
      lim = old;
      lim.rlim_cur = (rlim_t)next;  // every fd below is in use: the next open needs `next`
      setrlimit(RLIMIT_NOFILE, &lim);
      result(op, open(a, O_RDONLY));
      setrlimit(RLIMIT_NOFILE, &old);
      int fd = open(a, O_RDONLY);
      result("after", fd < 0 ? fd : 0);
      i += 1;
    } else if (!strcmp(op, "fifo")) {
      g_fifo = a;
      pthread_t t;
      pthread_create(&t, NULL, reader, NULL);
      char c;
      read(g_pipe[0], &c, 1);
      int stats = 0;
      struct stat st;
      for (int k = 0; k < 50; ++k) stats += stat(b, &st) == 0;
      printf("stats=%d\n", stats);
      int w = open(a, O_WRONLY);
      long r;
      int err;
      read(g_pipe[0], &r, sizeof r);
      read(g_pipe[0], &err, sizeof err);
      pthread_join(t, NULL);
      printf("fifo=%s\n", w >= 0 && r >= 0 ? "ok" : "failed");
      i += 2;
    } else if (!strcmp(op, "hang")) {
      printf("pid=%d\n", getpid());
      fflush(stdout);
      result(op, open(a, O_RDONLY));
      i += 1;
    } else if (!strcmp(op, "flood")) {
      g_fifo = a;
      int n = atoi(b);
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setstacksize(&attr, 64 * 1024);
      for (int k = 0; k < n; ++k) {
        pthread_t t;
        pthread_create(&t, &attr, flooder, NULL);
      }
      // The refused opens answer at once; the others stay blocked. Count until only blocked
      // ones are left: the supervisor refuses exactly the calls beyond its bound.
      int eagain = 0, other = 0;
      int expect = atoi(i + 3 < argc ? argv[i + 3] : "0");
      while (eagain + other < expect) {
        char c;
        if (read(g_pipe[0], &c, 1) != 1) break;
        if (c == 'e') ++eagain;
        else ++other;
      }
      printf("eagain=%d\n", eagain);
      fflush(stdout);
      _exit(0);
    } else if (!strcmp(op, "signal")) {
      g_fifo = a;
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_usr1;
      sa.sa_flags = atoi(b) ? SA_RESTART : 0;
      sigaction(SIGUSR1, &sa, NULL);
      pthread_t t;
      pthread_create(&t, NULL, reader, NULL);
      char c;
      read(g_pipe[0], &c, 1);
      // Until the handler ran (in the reader, blocked in its open or about to be).
      while (!g_handled) syscall(SYS_tgkill, getpid(), g_tid, SIGUSR1);
      // With SA_RESTART the open is restarted (a new notification) and waits for a writer;
      // without it the open fails with EINTR (or the signal came just before it: it waits).
      // A writer open fails (ENXIO) until the reader's open waits: retry until one of the two
      // is done.
      int w = -1;
      struct pollfd pfd = {g_pipe[0], POLLIN, 0};
      while ((w = open(a, O_WRONLY | O_NONBLOCK)) < 0 && poll(&pfd, 1, 0) == 0) {
      }
      int werr = errno;
      long r;
      int err;
      read(g_pipe[0], &r, sizeof r);
      read(g_pipe[0], &err, sizeof err);
      pthread_join(t, NULL);
      if (r < 0) {
        errno = err;
        result(op, -1);
      } else {
        printf("signal=fd\n");
      }
      printf("handled=%d writer=%s\n", g_handled, w >= 0 ? "ok" : strerrorname_np(werr));
      i += 2;
    } else if (!strcmp(op, "threads")) {
      int n = atoi(a);
      pthread_t t[256];
      for (int k = 0; k < n && k < 256; ++k) pthread_create(&t[k], NULL, getppider, NULL);
      for (int k = 0; k < n && k < 256; ++k) pthread_join(t[k], NULL);
      printf("threads=%d\n", g_answered);
      i += 1;
    } else if (!strcmp(op, "getppid")) {
      result(op, getppid());
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      return 2;
    }
  }
  return 0;
}
