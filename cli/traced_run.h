// Starts a command under the tracer and runs it to its end: the part `trace` and `record`
// share (trace filter, optional policy, launch, monitor loop, exit status per SPEC.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/traced_policy.h"
#include "filters/trace_filter.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::cli {

// The syscalls the tracer needs to see even when not selected (never shown).
extern const std::vector<std::string> kAlwaysStop;

// Launches `command` with a trace filter for `selection` (and `policy`'s filter, when given)
// under `monitor`, and traces it to the end. `on_start(pid)` runs once the target is started;
// `on_end()` runs when tracing ended, before the exit status is reported. Returns the exit
// code for pwnbox (the target's, or 125/126/127).
// The run ends with the main process: once its exit was handed to the observer, what it left
// behind is killed (supervisor::KillLeftovers), and those ends are handed to the observer too.
// `wait_all` (--wait-all) traces until every task is gone instead, as strace -f does.
// `no_aslr` starts the target without address space randomisation (record, replay).
int RunTraced(const std::vector<std::string>& command, const filters::TraceSelection& selection,
              TracedPolicy* policy, supervisor::PtraceMonitor& monitor,
              const std::function<void(pid_t)>& on_start, const std::function<void()>& on_end,
              bool no_aslr = false, bool wait_all = false);

}  // namespace pwnbox::cli
