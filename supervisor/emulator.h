// pwnbox::supervisor::Emulator: performs a file syscall in the supervisor, on the paths the
// Decider read and resolved, so that a decision on a path is a security boundary (DESIGN.md
// decision 3): the target's memory is never read again after the check, and the path is opened
// with RESOLVE_NO_SYMLINKS so a symlink swapped into it afterwards fails instead of leading
// elsewhere. fds reach the target with SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND;
// kernel-written results (stat buffers, readlink text) are copied into its memory.
//
// The supervisor acts with the target's filesystem uid/gid (when it may switch to them) and
// umask. Calls it cannot perform for the target (execve, chdir, mount, ...) are not emulated:
// the caller lets them continue, and rules on them are advisory (docs/security.md).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decoder.h"
#include "supervisor/decider.h"

namespace pwnbox::supervisor {

struct Emulated {
  // The notification was answered already (ADDFD with SEND installs the fd and completes the
  // call atomically).
  bool answered = false;
  int64_t value = 0;  // otherwise: the result, or -errno
};

// Whether calls of syscall `name` can be emulated.
bool CanEmulate(std::string_view name);

// Performs `call` (of notification `id` on `listener`) on `paths`; with `redirect`, the first
// path is replaced by it. nullopt when the call cannot be emulated (see CanEmulate).
std::optional<Emulated> Emulate(int listener, uint64_t id, const core::SyscallCall& call,
                                const std::vector<ResolvedPath>& paths,
                                const std::string* redirect);

}  // namespace pwnbox::supervisor
