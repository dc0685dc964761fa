// Helpers for security tests that must act on a run while it is going on: pwnbox started with
// its stdout on a pipe, lines read as they come, waits bounded by a timeout (a hang fails the
// test instead of stalling the suite). No sleeps: every wait is for an event.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace pwnbox::testing {

class Spawned {
 public:
  // Starts pwnbox `args` (stdin /dev/null, stderr inherited).
  explicit Spawned(const std::vector<std::string>& args) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(p[1], 1);
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      ExecPwnbox(args);
    }
    close(p[1]);
    out_ = p[0];
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  }
  ~Spawned() {
    if (pid_ > 0 && status_ == -2) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
    if (pidfd_ >= 0) close(pidfd_);
  }
  pid_t pid() const { return pid_; }

  // The next line of stdout, or "" after `timeout_ms` / at EOF.
  std::string ReadLine(int timeout_ms = 30000) {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      pollfd pfd{out_, POLLIN, 0};
      if (poll(&pfd, 1, timeout_ms) <= 0) return "";
      char chunk[4096];
      ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  // Waits for pwnbox to exit: its exit code (128+N for signal N), or -1 after `timeout_ms`.
  int Wait(int timeout_ms = 30000) {
    if (status_ != -2) return status_;
    pollfd pfd{pidfd_, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return -1;
    int st = 0;
    waitpid(pid_, &st, 0);
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int pidfd_ = -1;
  int status_ = -2;
  std::string buf_;
};

// Waits up to `timeout_ms` for process `pid` (not our child) to be gone.
inline bool WaitGone(pid_t pid, int timeout_ms) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd pfd{fd, POLLIN, 0};
  bool gone = poll(&pfd, 1, timeout_ms) == 1;
  close(fd);
  return gone;
}

}  // namespace pwnbox::testing
