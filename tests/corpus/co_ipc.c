// IPC: System V shared memory, semaphores and a message queue between parent and child (private
// keys), POSIX shared memory (shm_open) and a POSIX message queue when /dev/mqueue allows.
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include "co.h"

struct msg { long type; char text[16]; };

int main(void) {
  int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  int mq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  CHECK(shm >= 0 && sem >= 0 && mq >= 0);
  int* mem = shmat(shm, NULL, 0);
  CHECK(mem != (void*)-1);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    mem[0] = 99;
    struct sembuf up = {0, 1, 0};
    semop(sem, &up, 1);
    struct msg m = {2, "from child"};
    msgsnd(mq, &m, sizeof m.text, 0);
    _exit(0);
  }
  struct sembuf down = {0, -1, 0};
  CHECK(semop(sem, &down, 1) == 0 && mem[0] == 99);
  struct msg m;
  CHECK(msgrcv(mq, &m, sizeof m.text, 2, 0) == sizeof m.text);
  CHECK(co_wait(c) == 0);
  CHECK(shmdt(mem) == 0 && shmctl(shm, IPC_RMID, NULL) == 0 && semctl(sem, 0, IPC_RMID) == 0 &&
        msgctl(mq, IPC_RMID, NULL) == 0);
  printf("sysv shm %d sem ok msg \"%s\"\n", 99, m.text);

  char name[64];
  snprintf(name, sizeof name, "/co_ipc.%d", getpid());
  int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(p != MAP_FAILED);
  strcpy(p, "posix shm");
  CHECK(shm_unlink(name) == 0);
  printf("%s\n", p);
  struct mq_attr at = {.mq_maxmsg = 4, .mq_msgsize = 32};
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
  if (q == (mqd_t)-1) {
    printf("posix mq: %s\n", strerror(errno));
    return 0;
  }
  CHECK(mq_send(q, "low", 3, 1) == 0 && mq_send(q, "high", 4, 5) == 0);
  char buf[32] = {0};
  unsigned prio;
  CHECK(mq_receive(q, buf, sizeof buf, &prio) == 4 && prio == 5);
  CHECK(mq_unlink(name) == 0);
  printf("posix mq first \"%s\" prio %u\n", buf, prio);
  return 0;
}
