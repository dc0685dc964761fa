// Memory: anonymous and file mappings, mprotect (a write to a read-only page is caught as
// SIGSEGV with its address), mremap grow and move, madvise(MADV_DONTNEED) zeroing, MAP_SHARED
// between parent and child, msync to a file, MAP_FIXED_NOREPLACE, mincore.
#include <setjmp.h>
#include <sys/mman.h>
#include "co.h"

static sigjmp_buf env;
static void* fault_addr;
static void on_segv(int s, siginfo_t* si, void* uc) {
  (void)s; (void)uc;
  fault_addr = si->si_addr;
  siglongjmp(env, 1);
}

int main(void) {
  long pg = sysconf(_SC_PAGESIZE);
  char* a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED);
  memset(a, 'a', 4 * pg);
  CHECK(mprotect(a + pg, pg, PROT_READ) == 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
  int faulted = 0;
  if (sigsetjmp(env, 1) == 0) ((volatile char*)a)[pg + 5] = 'x';
  else faulted = fault_addr == a + pg + 5;
  CHECK(faulted);
  CHECK(mprotect(a + pg, pg, PROT_READ | PROT_WRITE) == 0);

  char* b = mremap(a, 4 * pg, 64 * pg, MREMAP_MAYMOVE);
  CHECK(b != MAP_FAILED && b[4 * pg - 1] == 'a');
  b[63 * pg] = 'z';
  CHECK(madvise(b, pg, MADV_DONTNEED) == 0 && b[0] == 0 && b[pg] == 'a');
  char* fixed = mmap(b + 10 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                     -1, 0);
  CHECK(fixed == MAP_FAILED && errno == EEXIST);
  unsigned char vec[64];
  CHECK(mincore(b, 64 * pg, vec) == 0 && (vec[63] & 1));
  CHECK(munmap(b, 64 * pg) == 0);

  int* shared = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(shared != MAP_FAILED);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    shared[0] = 1234;
    _exit(0);
  }
  CHECK(co_wait(c) == 0 && shared[0] == 1234);

  int fd = open("mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && ftruncate(fd, pg) == 0);
  char* f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(f != MAP_FAILED);
  memcpy(f, "written through the map", 23);
  CHECK(msync(f, pg, MS_SYNC) == 0);
  char buf[24] = {0};
  CHECK(pread(fd, buf, 23, 0) == 23);
  CHECK(munmap(f, pg) == 0 && close(fd) == 0 && unlink("mapped") == 0);
  printf("segv at page+5 caught, mremap kept data, shared %d, file \"%s\"\n", shared[0], buf);
  return 0;
}
