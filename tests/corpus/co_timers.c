// Timers: setitimer ITIMER_REAL (3 expirations by sigwait), timerfd (periodic, expirations
// counted), POSIX timer_create with SIGEV_SIGNAL and a value, clock_nanosleep relative and
// TIMER_ABSTIME, nanosleep; elapsed times are only checked to be at least what was asked.
#include <sys/time.h>
#include <sys/timerfd.h>
#include "co.h"

int main(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGALRM);
  sigaddset(&m, SIGRTMIN);
  CHECK(sigprocmask(SIG_BLOCK, &m, NULL) == 0);
  struct itimerval it = {{0, 2000}, {0, 2000}};
  CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
  sigset_t a;
  sigemptyset(&a);
  sigaddset(&a, SIGALRM);
  for (int i = 0; i < 3; ++i) {
    int s;
    CHECK(sigwait(&a, &s) == 0 && s == SIGALRM);
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);

  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  CHECK(tfd >= 0);
  struct itimerspec its = {{0, 1000000}, {0, 1000000}};
  CHECK(timerfd_settime(tfd, 0, &its, NULL) == 0);
  uint64_t total = 0, n;
  while (total < 5) {
    CHECK(read(tfd, &n, sizeof n) == sizeof n && n >= 1);
    total += n;
  }
  struct itimerspec cur;
  CHECK(timerfd_gettime(tfd, &cur) == 0 && cur.it_interval.tv_nsec == 1000000);
  close(tfd);

  timer_t t;
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGRTMIN;
  ev.sigev_value.sival_int = 4242;
  CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0);
  struct itimerspec once = {{0, 0}, {0, 1000000}};
  CHECK(timer_settime(t, 0, &once, NULL) == 0);
  siginfo_t si;
  sigset_t r;
  sigemptyset(&r);
  sigaddset(&r, SIGRTMIN);
  CHECK(sigwaitinfo(&r, &si) == SIGRTMIN && si.si_code == SI_TIMER &&
        si.si_value.sival_int == 4242);
  CHECK(timer_delete(t) == 0);

  int64_t t0 = co_now_ns(CLOCK_MONOTONIC);
  struct timespec d = {0, 3000000};
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL) == 0);
  int64_t t1 = co_now_ns(CLOCK_MONOTONIC);
  CHECK(t1 - t0 >= 3000000);
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 2000000;
  if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  CHECK(now.tv_sec > abs.tv_sec || (now.tv_sec == abs.tv_sec && now.tv_nsec >= abs.tv_nsec));
  CHECK(nanosleep(&(struct timespec){0, 1000000}, NULL) == 0);
  printf("itimer 3, timerfd >= 5, posix timer value %d, sleeps ok\n", si.si_value.sival_int);
  return 0;
}
