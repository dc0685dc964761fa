// pwnbox::filters trace filter: the seccomp program `pwnbox trace` installs so that only the
// selected syscalls stop the target (SECCOMP_RET_TRACE); every other call runs at native speed.
#pragma once

#include <linux/filter.h>

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/syscalls.h"

namespace pwnbox::filters {

// SECCOMP_RET_DATA of the calls that stop only for the tracer's own needs.
inline constexpr uint16_t kTraceHidden = 0xffff;

struct TraceSelection {
  bool all = true;  // every syscall of every ABI stops
  // When !all: the syscall names to stop on, looked up in each ABI (x86_64, i386, x32).
  std::vector<std::string> names;
  // Numbers given as numbers (-e trace=2): x86_64 numbers.
  std::vector<int> numbers;
};

// Builds a filter returning SECCOMP_RET_TRACE for the selected syscalls of x86_64, i386 and x32
// and SECCOMP_RET_ALLOW for the rest. `always` names syscalls that stop even when not selected
// (the tracer needs to see them, e.g. sched_getaffinity); they stop with data kTraceHidden
// and the tracer does not print them. Unless selected, `clone` calls whose flags carry
// CLONE_UNTRACED and every `clone3` stop too (hidden): the tracer clears the flag, so that the
// child is traced (and its calls, which the inherited filter stops, keep working).
core::Result<std::vector<sock_filter>> CompileTraceFilter(const TraceSelection& selection,
                                                          const std::vector<std::string>& always);

// Whether the calls `selection` names include (abi, nr): what the tracer shows. Numbers given
// as numbers are x86_64 numbers, selecting that syscall in every ABI, as the filter does.
std::function<bool(core::Abi, int nr)> TraceSelector(const TraceSelection& selection);

}  // namespace pwnbox::filters
