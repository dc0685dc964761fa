// pwnbox::core default outcomes per syscall: for each common fallible syscall, the outcomes
// `pwnbox explore` tries at it when the user names none (issue 15): the errors its man page
// documents as plausible at run time (the state of the system: a missing file, a full disk, a
// descriptor limit, a refused connection), never the ones that only a programming error causes
// (EFAULT, EBADF, most EINVAL), plus the non-errno outcomes that make sense for it:
//   short  a read or write that moves fewer bytes than asked (read, write, pread64, pwrite64,
//          recvfrom, sendto: the calls whose count is one register)
//   eof    a read that returns 0 (end of file, or the peer closed)
//   eintr  the call interrupted by a real signal (the calls the man page says can fail with
//          EINTR; EINTR itself is never listed as an errno: a bare -EINTR where no handler ran is
//          something the kernel never does)
// Outcome names are those explore::ParseOutcome reads ("ok" is implied and not listed).
// The table is sorted by syscall name (checked at compile time); names are x86-64 syscall names.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pwnbox::core {

struct SyscallOutcomes {
  const char* syscall;  // "openat"
  const char* errors;   // space-separated errno names: "ENOENT EACCES EMFILE"
  bool short_io;        // `short` applies
  bool eof;             // `eof` applies
  bool eintr;           // `eintr` applies
};

// Every entry, sorted by syscall name.
std::span<const SyscallOutcomes> AllSyscallOutcomes();
// The entry of `syscall`, or nullptr when the table has none (the call is not commonly
// fallible, or not yet listed).
const SyscallOutcomes* FindSyscallOutcomes(std::string_view syscall);
// The default outcome names for `syscall`: its errno names, then "short", "eof", "eintr" where
// they apply. Empty when the table has no entry.
std::vector<std::string> DefaultOutcomes(std::string_view syscall);

}  // namespace pwnbox::core
