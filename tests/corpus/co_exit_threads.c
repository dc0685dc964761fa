// exit_group from a secondary thread while the others block in read, futex and nanosleep: the
// whole process ends with that thread's code (seen by the parent); and the main thread calling
// pthread_exit while a worker finishes the process later.
#include <pthread.h>
#include "co.h"

static int pipefd[2];
static void* blocked_read(void* arg) {
  (void)arg;
  char c;
  read(pipefd[0], &c, 1);
  return NULL;
}
static void* sleeper(void* arg) {
  (void)arg;
  struct timespec t = {60, 0};
  nanosleep(&t, NULL);
  return NULL;
}
static void* waiter(void* arg) {
  pthread_mutex_t* m = arg;
  pthread_mutex_lock(m);
  return NULL;
}
static void* exiter(void* arg) {
  (void)arg;
  exit(21);
}
static void* finisher(void* arg) {
  (void)arg;
  _exit(22);
}

int main(void) {
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m);
    pipe(pipefd);
    pthread_t t;
    pthread_create(&t, NULL, blocked_read, NULL);
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, waiter, &m);
    pthread_create(&t, NULL, exiter, NULL);
    for (;;) pause();
  }
  int a = co_wait(c);
  c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    pthread_t t;
    pthread_create(&t, NULL, finisher, NULL);
    pthread_exit(NULL);
  }
  int b = co_wait(c);
  printf("exit from thread %d, after main's pthread_exit %d\n", a, b);
  return a == 21 && b == 22 ? 0 : 1;
}
