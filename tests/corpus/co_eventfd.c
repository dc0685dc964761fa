// eventfd: counter mode adds up writes, semaphore mode reads 1 at a time, a non-blocking read of
// zero fails with EAGAIN; a thread blocked in read is woken by another's write.
#include <pthread.h>
#include <sys/eventfd.h>
#include "co.h"

static int efd;
static void* reader(void* arg) {
  (void)arg;
  eventfd_t v;
  CHECK(eventfd_read(efd, &v) == 0);
  return (void*)(uintptr_t)v;
}

int main(void) {
  int c = eventfd(3, EFD_CLOEXEC);
  CHECK(c >= 0);
  CHECK(eventfd_write(c, 4) == 0);
  eventfd_t v;
  CHECK(eventfd_read(c, &v) == 0 && v == 7);
  int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  CHECK(s >= 0);
  int reads = 0;
  while (eventfd_read(s, &v) == 0) {
    CHECK(v == 1);
    reads++;
  }
  CHECK(errno == EAGAIN && reads == 3);
  efd = eventfd(0, 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, reader, NULL) == 0);
  CHECK(eventfd_write(efd, 11) == 0);
  void* r;
  CHECK(pthread_join(t, &r) == 0 && (uintptr_t)r == 11);
  printf("eventfd counter %d semaphore reads %d thread got %d\n", 7, reads, (int)(uintptr_t)r);
  return 0;
}
