#include "supervisor/credentials.h"

#include <linux/capability.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/fd.h"

namespace pwnbox::supervisor {
namespace {

core::Result<TaskStatus> ParseStatus(const char* path) {
  FILE* f = fopen(path, "re");
  if (!f) return core::ErrnoError(errno == ENOENT ? ESRCH : errno, path);
  TaskStatus st;
  Credentials& c = st.creds;
  int seen = 0;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    unsigned a, b, d, e;
    unsigned long long x;
    if (sscanf(line, "Tgid: %u", &a) == 1) st.tgid = static_cast<pid_t>(a), seen |= 1;
    else if (sscanf(line, "Umask: %o", &a) == 1) st.umask = a;
    else if (sscanf(line, "Uid: %u %u %u %u", &a, &b, &d, &e) == 4)
      c.ruid = a, c.euid = b, c.suid = d, c.fsuid = e, seen |= 2;
    else if (sscanf(line, "Gid: %u %u %u %u", &a, &b, &d, &e) == 4)
      c.rgid = a, c.egid = b, c.sgid = d, c.fsgid = e, seen |= 4;
    else if (strncmp(line, "Groups:", 7) == 0) {
      char* p = line + 7;
      char* end;
      for (unsigned long g; (g = strtoul(p, &end, 10)), end != p; p = end)
        c.groups.push_back(static_cast<gid_t>(g));
      seen |= 8;
    } else if (sscanf(line, "CapInh: %llx", &x) == 1) c.cap_inh = x, seen |= 16;
    else if (sscanf(line, "CapPrm: %llx", &x) == 1) c.cap_prm = x, seen |= 32;
    else if (sscanf(line, "CapEff: %llx", &x) == 1) c.cap_eff = x, seen |= 64;
  }
  fclose(f);
  if (seen != 127) return core::ErrnoError(ESRCH, std::string(path) + ": incomplete");
  std::sort(c.groups.begin(), c.groups.end());
  return st;
}

ino_t UserNs(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_ino : 0;
}

int CapSet(const Credentials& c) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2] = {
      {static_cast<uint32_t>(c.cap_eff), static_cast<uint32_t>(c.cap_prm),
       static_cast<uint32_t>(c.cap_inh)},
      {static_cast<uint32_t>(c.cap_eff >> 32), static_cast<uint32_t>(c.cap_prm >> 32),
       static_cast<uint32_t>(c.cap_inh >> 32)}};
  return static_cast<int>(syscall(SYS_capset, &h, d));
}

}  // namespace

core::Result<TaskStatus> ReadTaskStatus(pid_t tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  PWNBOX_ASSIGN_OR_RETURN(TaskStatus st, ParseStatus(path));
  st.raw = st.creds;
  snprintf(path, sizeof path, "/proc/%d/ns/user", tid);
  const ino_t ns = UserNs(path);
  static const ino_t own_ns = UserNs("/proc/self/ns/user");
  if (ns != own_ns) {
    PWNBOX_ASSIGN_OR_RETURN(Credentials own, OwnCredentials());
    own.cap_inh &= st.creds.cap_inh;
    own.cap_prm &= st.creds.cap_prm;
    own.cap_eff &= st.creds.cap_eff;
    st.creds = own;
    st.other_user_ns = true;
  }
  return st;
}

bool QuickCredentials::Matches(const Credentials& c) const {
  return ruid == c.ruid && euid == c.euid && suid == c.suid && fsuid == c.fsuid &&
         rgid == c.rgid && egid == c.egid && sgid == c.sgid && fsgid == c.fsgid &&
         cap_inh == c.cap_inh && cap_prm == c.cap_prm && cap_eff == c.cap_eff;
}

core::Result<QuickCredentials> ReadQuickCredentials(pid_t tid) {
  struct PidfdInfo {  // struct pidfd_info, PIDFD_INFO_SIZE_VER0
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
  };
  static_assert(sizeof(PidfdInfo) == 64);
  constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD
  constexpr uint64_t kInfoCreds = 1 << 1;    // PIDFD_INFO_CREDS
  const unsigned long kGetInfo = _IOWR(0xFF, 11, PidfdInfo);  // PIDFD_GET_INFO
  core::UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, tid, kPidfdThread)));
  if (!fd) return core::ErrnoError(errno == EINVAL ? ESRCH : errno, "pidfd_open");
  PidfdInfo info{};
  info.mask = kInfoCreds;
  if (ioctl(fd.get(), kGetInfo, &info) != 0) return core::ErrnoError(errno, "PIDFD_GET_INFO");
  if (!(info.mask & kInfoCreds)) return core::ErrnoError(ENOTTY, "PIDFD_GET_INFO");
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, tid};
  __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) != 0) return core::ErrnoError(errno, "capget");
  QuickCredentials q;
  q.ruid = info.ruid, q.euid = info.euid, q.suid = info.suid, q.fsuid = info.fsuid;
  q.rgid = info.rgid, q.egid = info.egid, q.sgid = info.sgid, q.fsgid = info.fsgid;
  q.cap_eff = d[0].effective | (uint64_t{d[1].effective} << 32);
  q.cap_prm = d[0].permitted | (uint64_t{d[1].permitted} << 32);
  q.cap_inh = d[0].inheritable | (uint64_t{d[1].inheritable} << 32);
  return q;
}

core::Result<Credentials> OwnCredentials() {
  PWNBOX_ASSIGN_OR_RETURN(TaskStatus st, ParseStatus("/proc/thread-self/status"));
  return st.creds;
}

core::Status TakeCredentials(const Credentials& c) {
  // Capabilities survive the uid change (then are set exactly); this thread only.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return core::ErrnoError(errno, "PR_SET_KEEPCAPS");
  if (syscall(SYS_setgroups, c.groups.size(), c.groups.data()) != 0)
    return core::ErrnoError(errno, "setgroups");
  if (syscall(SYS_setresgid, c.rgid, c.egid, c.sgid) != 0)
    return core::ErrnoError(errno, "setresgid");
  syscall(SYS_setfsgid, c.fsgid);
  if (syscall(SYS_setresuid, c.ruid, c.euid, c.suid) != 0)
    return core::ErrnoError(errno, "setresuid");
  // setfsuid may need CAP_SETUID (now in the target's set, if it has it) and itself changes
  // the filesystem capabilities in the effective set: capset before and after.
  if (CapSet(c) != 0) return core::ErrnoError(errno, "capset");
  syscall(SYS_setfsuid, c.fsuid);
  if (CapSet(c) != 0) return core::ErrnoError(errno, "capset");
  PWNBOX_ASSIGN_OR_RETURN(Credentials now, OwnCredentials());
  if (!(now == c)) return core::ErrnoError(EPERM, "credentials not taken exactly");
  return core::Status::Ok();
}

}  // namespace pwnbox::supervisor
