// pwnbox::supervisor::Credentials: a task's identity as the kernel checks it (uids, gids,
// supplementary groups, capabilities, umask), read from /proc/TID/status, and taken by the
// calling thread only, so that a call the supervisor performs for the target is checked
// exactly as the target's own call would be.
//
// Credentials are per thread in the kernel; glibc's setuid/setgroups/... broadcast to every
// thread of the process (nptl's setxid), so TakeCredentials uses the raw syscalls. The umask
// lives in the fs struct, shared by the process's threads unless a thread unshares it
// (unshare(CLONE_FS)): a thread that takes credentials must have done so.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <tuple>
#include <vector>

#include "core/status.h"

namespace pwnbox::supervisor {

struct Credentials {
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;  // sorted, as /proc prints them
  uint64_t cap_inh = 0, cap_prm = 0, cap_eff = 0;

  // Everything the kernel's permission checks look at (the umask is set per call).
  auto Key() const {
    return std::tie(ruid, euid, suid, fsuid, rgid, egid, sgid, fsgid, groups, cap_inh, cap_prm,
                    cap_eff);
  }
  bool operator==(const Credentials& o) const { return Key() == o.Key(); }
  bool operator<(const Credentials& o) const { return Key() < o.Key(); }
};

struct TaskStatus {
  pid_t tgid = 0;
  mode_t umask = 022;
  Credentials creds;  // what the supervisor acts with (see other_user_ns)
  Credentials raw;    // as /proc printed them
  bool other_user_ns = false;  // the task is in another user namespace than the supervisor
};

// The part of a task's credentials that the kernel gives without /proc/TID/status (whose
// formatting costs ~60 us on a loaded machine): ids (PIDFD_GET_INFO, kernel 6.13+) and
// capabilities (capget). Used to revalidate a TaskStatus read earlier.
struct QuickCredentials {
  uid_t ruid, euid, suid, fsuid;
  gid_t rgid, egid, sgid, fsgid;
  uint64_t cap_inh, cap_prm, cap_eff;
  // Whether `c` has these ids and capabilities.
  bool Matches(const Credentials& c) const;
};

// ENOTTY/EINVAL when the kernel has no PIDFD_GET_INFO.
core::Result<QuickCredentials> ReadQuickCredentials(pid_t tid);

// Reads task `tid`'s status (a thread id: credentials are per thread). ESRCH when it is gone.
// A task in another user namespace (it unshared one) is given the supervisor's own ids and
// groups and only the capabilities both have: its ids are printed as mapped into the
// supervisor's namespace and its capabilities count only in its own.
core::Result<TaskStatus> ReadTaskStatus(pid_t tid);

// The calling thread's own credentials.
core::Result<Credentials> OwnCredentials();

// Makes the calling thread act as `creds` (raw syscalls: setgroups, setresgid, setfsgid,
// setresuid, capset, setfsuid), then checks /proc/thread-self/status against `creds`.
// Preconditions: called on a thread of its own (never the process's main thread), which may
// switch to `creds` (the supervisor runs as root, or `creds` are its own).
core::Status TakeCredentials(const Credentials& creds);

}  // namespace pwnbox::supervisor
