// Makes the calls named on its command line, in order, and prints one line per call:
// "I NAME ok" or "I NAME ERRNONAME" (I counts the calls from 1), for the occurrence tests
// (`when`). An allowed call is unambiguous: getppid succeeds, lseek on a closed fd fails with
// EBADF (bubblewrap's try-syscall idea), an open of an existing file succeeds; a denial shows
// the policy's errno.
//
//   getppid*N          N getppid() calls
//   lseek:FD*N         N lseek(FD, 0, SEEK_CUR) calls (FD not open: EBADF when allowed)
//   open:PATH*N        N openat(AT_FDCWD, PATH, O_RDONLY) calls (each fd closed again)
//   rename:FROM:TO     rename(FROM, TO) (a call with two paths)
//   fork ... join      the calls between run in a child; the parent waits for it, then goes on
//   threads:T:getppid*N  T threads make N getppid() calls each, at once; prints
//                      "threads F failed of T*N" (F: calls that did not succeed)
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_index;

static void report(const char* name, long rc, int err) {
  ++g_index;
  if (rc < 0) {
    const char* e = strerrorname_np(err);
    printf("%d %s %s\n", g_index, name, e ? e : "?");
  } else {
    printf("%d %s ok\n", g_index, name);
  }
  fflush(stdout);
}

// Splits "NAME*N" into its count (1 without "*N"); cuts the "*N" off `spec`.
static int count_of(char* spec) {
  char* star = strrchr(spec, '*');
  if (!star) return 1;
  *star = '\0';
  return atoi(star + 1);
}

struct thread_arg {
  int calls;
  int failed;
};

static pthread_barrier_t g_barrier;

static void* thread_main(void* p) {
  struct thread_arg* a = p;
  pthread_barrier_wait(&g_barrier);
  for (int i = 0; i < a->calls; ++i)
    if (syscall(SYS_getppid) < 0) ++a->failed;
  return NULL;
}

static int run_threads(int n, int calls) {
  struct thread_arg args[64];
  pthread_t t[64];
  if (n > 64) n = 64;
  pthread_barrier_init(&g_barrier, NULL, (unsigned)n);
  for (int i = 0; i < n; ++i) {
    args[i].calls = calls;
    args[i].failed = 0;
    if (pthread_create(&t[i], NULL, thread_main, &args[i]) != 0) return -1;
  }
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    pthread_join(t[i], NULL);
    failed += args[i].failed;
  }
  printf("threads %d failed of %d\n", failed, n * calls);
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char spec[4096];
    snprintf(spec, sizeof spec, "%s", argv[i]);
    if (!strcmp(spec, "fork")) {
      pid_t pid = fork();
      if (pid < 0) return 2;
      if (pid == 0) continue;  // the child makes the calls up to "join"
      int st;
      while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) return 2;
      }
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 3;
      while (i < argc && strcmp(argv[i], "join")) ++i;  // the parent goes on after "join"
      continue;
    }
    if (!strcmp(spec, "join")) {
      fflush(stdout);
      _exit(0);  // only the child meets it
    }
    if (!strncmp(spec, "threads:", 8)) {
      char* rest = spec + 8;
      int n = atoi(rest);
      char* what = strchr(rest, ':');
      if (!what) return 2;
      int calls = count_of(what + 1);
      if (run_threads(n, calls) != 0) return 2;
      continue;
    }
    int n = count_of(spec);
    for (int k = 0; k < n; ++k) {
      long rc;
      errno = 0;
      if (!strcmp(spec, "getppid")) {
        rc = syscall(SYS_getppid);
      } else if (!strncmp(spec, "lseek:", 6)) {
        rc = syscall(SYS_lseek, atoi(spec + 6), 0, SEEK_CUR);
      } else if (!strncmp(spec, "rename:", 7)) {
        char* to = strchr(spec + 7, ':');
        if (!to) return 2;
        *to++ = '\0';
        rc = syscall(SYS_rename, spec + 7, to);
        to[-1] = ':';  // the line shows the call as written
      } else if (!strncmp(spec, "open:", 5)) {
        rc = syscall(SYS_openat, AT_FDCWD, spec + 5, O_RDONLY);
        if (rc >= 0) close((int)rc);
      } else {
        fprintf(stderr, "oc_calls: unknown call %s\n", spec);
        return 2;
      }
      report(spec, rc, errno);
    }
  }
  return 0;
}
