// pwnbox::supervisor::KillLeftovers: ends what a target left behind when its main process is
// gone (daemons, children that outlived it), as a container ends with its PID 1.
#pragma once

#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {

// SIGKILLs every task `monitor` traces or let go of (PtraceMonitor::KillReleased) and every
// child of pwnbox (orphans are re-parented to it when the caller is a subreaper), and reaps them
// until none is left. No round limit: each pass waits for one more task to change state, and a
// new task (a fork that raced the kill) reports its first stop or its parent's death here before
// it can run. The end of each traced task is handed to `monitor` (PtraceMonitor::Dispatch), so
// its observer shows or records it as any other (`+++ killed by SIGKILL +++`); stops are not: a
// stopped task is only killed.
void KillLeftovers(PtraceMonitor& monitor);

}  // namespace pwnbox::supervisor
