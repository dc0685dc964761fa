// bench_fork_at_stop: the cost of one branch point (explore::ForkAtStop: the injected clone and
// both copies put back at the call) against a native fork() of the same process (issue 15).
//
//   bench_fork_at_stop [--reps R] [--mb N]... [--pin]
//
// The target is this binary run as `--target MB`: it touches MB MiB of heap, then loops
//   getppid()      traced (SECCOMP_RET_TRACE): the tracer forks it there (timed: ForkAtStop,
//                  from the entry stop to both copies back at the entry), kills the copy and
//                  lets the original run the call;
//   native fork    clone(CLONE_UNTRACED | SIGCHLD) timed by the target itself around the call
//                  (the child _exits at once; untraced, so no ptrace stop: a plain fork of the
//                  same process, memory included), reported over a pipe.
// So each round measures one of each, interleaved; the figures are medians over R rounds, in
// microseconds, for each heap size (default 1 and 64 MiB). --pin puts the tracer and the target
// on CPU 0, as the ptrace monitor does while one task runs (a ptrace stop's wake-up across CPUs
// is the dominant cost on these VMs). Prints a Markdown table.
#include "explore/fork_at_stop.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "explore/outcomes.h"
#include "explore/tracee.h"

namespace {

using pwnbox::explore::EntryKind;
using pwnbox::explore::EntryStop;

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

[[noreturn]] void Target(long mb) {
  std::vector<char> heap(static_cast<size_t>(mb) << 20);
  for (size_t i = 0; i < heap.size(); i += 4096) heap[i] = static_cast<char>(i);
  for (;;) {
    syscall(SYS_getppid);
    const double t0 = Now();
    const long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    const double dt = Now() - t0;
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    if (write(3, &dt, sizeof dt) != sizeof dt) _exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--target") == 0) Target(std::atol(argv[2]));
  int reps = 200;
  bool pin = false;
  std::vector<long> sizes;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--pin") == 0)
      pin = true;
    else if (std::strcmp(argv[i], "--mb") == 0 && i + 1 < argc)
      sizes.push_back(std::atol(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--reps R] [--mb N]...\n", argv[0]);
      return 2;
    }
  }
  if (sizes.empty()) sizes = {1, 64};
  if (pin) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
  }
  std::printf(
      "median of %d rounds (interleaved), microseconds, %s\n\n"
      "| heap | fork at a stop | native fork | ratio |\n|---:|---:|---:|---:|\n",
      reps, pin ? "tracer and target on CPU 0" : "unpinned");
  for (long mb : sizes) {
    int p[2];
    if (pipe(p) != 0) return 1;
    // The target writes its timings to fd 3 (inherited); the read end is kept above it.
    const int rd = fcntl(p[0], F_DUPFD_CLOEXEC, 10), wr = fcntl(p[1], F_DUPFD, 10);
    close(p[0]);
    close(p[1]);
    dup2(wr, 3);
    close(wr);
    p[0] = rd;
    pwnbox::explore::SpawnOptions opts;
    opts.filter =
        pwnbox::explore::RuleFilter({{pwnbox::core::Abi::kX86_64, SYS_getppid, SECCOMP_RET_TRACE}});
    auto pid =
        pwnbox::explore::SpawnTraced({"/proc/self/exe", "--target", std::to_string(mb)}, opts);
    close(3);
    if (!pid.ok()) {
      std::fprintf(stderr, "spawn: %s\n", pid.error().message().c_str());
      return 1;
    }
    const auto ok = pwnbox::explore::ParseOutcome("ok");
    std::vector<double> branch, native;
    for (int r = 0; r < reps + 1; ++r) {
      auto stop = pwnbox::explore::RunToEntry(
          *pid, EntryKind::kSeccomp, [](const EntryStop& s) { return s.nr == SYS_getppid; });
      if (!stop.ok()) {
        std::fprintf(stderr, "%s\n", stop.error().message().c_str());
        return 1;
      }
      if (r > 0) {  // the native fork of the previous round
        double dt = 0;
        if (read(p[0], &dt, sizeof dt) != sizeof dt) return 1;
        native.push_back(dt);
      }
      if (r == reps) break;
      const double t0 = Now();
      auto copy = pwnbox::explore::ForkAtStop(*stop);
      const double dt = Now() - t0;
      if (!copy.ok()) {
        std::fprintf(stderr, "%s\n", copy.error().message().c_str());
        return 1;
      }
      branch.push_back(dt);
      pwnbox::explore::KillTracee(*copy);
      if (!pwnbox::explore::RunOutcome(*stop, *ok).ok()) return 1;
    }
    pwnbox::explore::KillTracee(*pid);
    close(p[0]);
    const double b = Median(branch), n = Median(native);
    std::printf("| %ld MiB | %.1f | %.1f | %.1fx |\n", mb, b, n, n > 0 ? b / n : 0);
  }
  return 0;
}
