// pwnbox::supervisor::KillLeftovers: ends what a target left behind when its main process is
// gone (daemons, children that outlived it), as a container ends with its PID 1.
#pragma once

#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {

// SIGKILLs every task `monitor` traces and every child of pwnbox (orphans are re-parented to it:
// the caller is a subreaper), and reaps them until none is left. No round limit: each pass waits
// for one more task to change state, and a new task (a fork that raced the kill) reports its
// first stop or its parent's death here before it can run.
void KillLeftovers(const PtraceMonitor& monitor);

}  // namespace pwnbox::supervisor
