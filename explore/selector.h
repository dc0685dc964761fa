// pwnbox::explore selectors: which calls of a run `pwnbox explore --at SELECTOR` branches at.
//
// Grammar (close to the policy language, docs/explore.md "Selectors"):
//   SELECTOR := TARGET (":" COND)* ["#" K]
//   TARGET   := NAME                a syscall (x86-64 name: openat, read, ...)
//             | "@" GROUP           every syscall of a group (`pwnbox groups`)
//   COND     := "path=" GLOB        the resolved path of the call (as `paths` rules match it:
//                                   canonical, symlinks followed as the call follows them)
//             | ARG "=" VALUE       an argument by name or arg0..arg5 (`fd=0`, `flags=O_RDONLY`),
//                                   compared with its C width as policy `args` conditions are
//   K        := 1, 2, ...           only the K-th call matching the rest, counted over the run
//                                   (all tasks, in the order the tracer sees them)
// Examples: `openat:path=/etc/app.conf`, `read:fd=0`, `write#3`, `@network`.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "core/status.h"
#include "explore/fork_at_stop.h"

namespace pwnbox::explore {

struct Selector {
  std::string text;                     // as written
  std::set<std::string> names;          // x86-64 syscall names it covers
  std::string path_glob;                // "" when none
  std::vector<config::Condition> args;  // argument conditions (equalities)
  uint64_t occurrence = 0;              // K; 0: every matching call

  // Whether the call `name` with raw arguments `args` and resolved path `path` (empty when the
  // call has none or it could not be resolved) matches, ignoring the occurrence.
  bool Matches(std::string_view name, const uint64_t (&call_args)[6],
               const std::string& path) const;
  // Whether the selector needs the path of a call.
  bool NeedsPath() const { return !path_glob.empty(); }
};

// Parses one selector. Errors are one line with a hint, e.g. `--at opnat: unknown syscall
// "opnat" (did you mean open, openat?)`.
core::Result<Selector> ParseSelector(std::string_view text);

// The path the call at `stop` acts on (its first path argument), resolved for the task as
// policy path rules resolve it; "" when the call takes no path or it cannot be resolved. *raw,
// when given, receives the path as the program wrote it ("" when none could be read).
std::string CallPath(const EntryStop& stop, std::string* raw = nullptr);

}  // namespace pwnbox::explore
