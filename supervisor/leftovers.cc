#include "supervisor/leftovers.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace pwnbox::supervisor {
namespace {

void KillChildren() {
  DIR* d = opendir("/proc/self/task");
  if (!d) return;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/children");
    pid_t child;
    while (f >> child) kill(child, SIGKILL);
  }
  closedir(d);
}

}  // namespace

void KillLeftovers(PtraceMonitor& monitor) {
  for (pid_t tid : monitor.Tids()) kill(tid, SIGKILL);
  monitor.KillReleased();
  while (true) {
    KillChildren();
    int status;
    pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      return;  // ECHILD: no child and no tracee left
    }
    if (WIFSTOPPED(status)) kill(pid, SIGKILL);
    else monitor.Dispatch(pid, status);  // its observer shows the end (unknown pids: nothing)
  }
}

}  // namespace pwnbox::supervisor
