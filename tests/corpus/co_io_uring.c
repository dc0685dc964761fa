// io_uring_setup and one NOP through the ring (io_uring_enter); a policy may deny io_uring,
// which the program reports as it would be reported to any program (its errno).
#include <linux/io_uring.h>
#include <sys/mman.h>
#include "co.h"

int main(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = (int)syscall(SYS_io_uring_setup, 4, &p);
  if (fd < 0) {
    printf("io_uring_setup: %s\n", strerror(errno));
    return 0;
  }
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  char* sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                  IORING_OFF_SQ_RING);
  char* cq = (p.features & IORING_FEAT_SINGLE_MMAP)
                 ? sq
                 : mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                        IORING_OFF_CQ_RING);
  if ((p.features & IORING_FEAT_SINGLE_MMAP) && cq_len > sq_len) {
    munmap(sq, sq_len);
    sq = cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                   IORING_OFF_SQ_RING);
  }
  struct io_uring_sqe* sqes = mmap(NULL, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  CHECK(sq != MAP_FAILED && cq != MAP_FAILED && sqes != MAP_FAILED);
  unsigned* tail = (unsigned*)(sq + p.sq_off.tail);
  unsigned* mask = (unsigned*)(sq + p.sq_off.ring_mask);
  unsigned* array = (unsigned*)(sq + p.sq_off.array);
  unsigned t = *tail, i = t & *mask;
  memset(&sqes[i], 0, sizeof sqes[i]);
  sqes[i].opcode = IORING_OP_NOP;
  sqes[i].user_data = 0x1234;
  array[i] = i;
  __atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
  int r = (int)syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
  CHECK(r == 1);
  unsigned* ctail = (unsigned*)(cq + p.cq_off.tail);
  unsigned* chead = (unsigned*)(cq + p.cq_off.head);
  CHECK(__atomic_load_n(ctail, __ATOMIC_ACQUIRE) != *chead);
  struct io_uring_cqe* cqe =
      (struct io_uring_cqe*)(cq + p.cq_off.cqes) + (*chead & *(unsigned*)(cq + p.cq_off.ring_mask));
  printf("io_uring nop user_data %llx res %d\n", (unsigned long long)cqe->user_data, cqe->res);
  return cqe->user_data == 0x1234 && cqe->res == 0 ? 0 : 1;
}
