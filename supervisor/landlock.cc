#include "supervisor/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

// Debian 12's headers know Landlock up to ABI 3 (no net, no scopes).
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_RULE_NET_PORT
#define LANDLOCK_RULE_NET_PORT 2
#endif
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

namespace pwnbox::supervisor {
namespace {

// struct landlock_ruleset_attr as of ABI 6.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

constexpr int kScopeAbi = 6;

// struct landlock_net_port_attr (ABI 4).
struct __attribute__((packed)) NetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
};

}  // namespace

std::string_view IsolationName(Isolation isolation) {
  switch (isolation) {
    case Isolation::kNone: return "none";
    case Isolation::kNonDumpable: return "nondumpable";
    case Isolation::kLandlock: return "landlock";
  }
  return "none";
}

int LandlockAbi() {
  const char* off = getenv("PWNBOX_NO_LANDLOCK");
  if (off && *off && std::strcmp(off, "0") != 0) return 0;
  long abi = syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

core::Result<core::UniqueFd> PrepareScopeRuleset() {
  const int abi = LandlockAbi();
  if (abi < kScopeAbi)
    return core::Error("Landlock ABI " + std::to_string(abi) + " has no signal scoping",
                       EOPNOTSUPP);
  RulesetAttr attr{};
  attr.scoped = LANDLOCK_SCOPE_SIGNAL;
  long fd = syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (fd < 0) return core::ErrnoError(errno, "landlock_create_ruleset");
  return core::UniqueFd(static_cast<int>(fd));  // O_CLOEXEC: gone at the target's execve
}

bool LandlockPathsWanted() {
  const char* knob = getenv("PWNBOX_LANDLOCK");
  if (knob && (std::strcmp(knob, "off") == 0 || std::strcmp(knob, "0") == 0)) return false;
  return LandlockAbi() >= filters::kLandlockPathsAbi;
}

core::Result<core::UniqueFd> PreparePathsRuleset(const filters::LandlockPlan& plan) {
  const int abi = LandlockAbi();
  if (abi < filters::kLandlockPathsAbi)
    return core::Error("Landlock ABI " + std::to_string(abi) + " cannot decide path rules (needs " +
                           std::to_string(filters::kLandlockPathsAbi) + ")",
                       EOPNOTSUPP);
  RulesetAttr attr{};
  attr.handled_access_fs = plan.eligible ? plan.handled : 0;
  attr.handled_access_net = plan.HandledNet();
  attr.scoped = LANDLOCK_SCOPE_SIGNAL;
  long fd = syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (fd < 0) return core::ErrnoError(errno, "landlock_create_ruleset");
  core::UniqueFd ruleset(static_cast<int>(fd));
  auto add = [&](const std::string& dir, uint64_t access) -> core::Status {
    core::UniqueFd parent(open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!parent) return core::ErrnoError(errno, "Landlock rule: cannot open " + dir);
    struct landlock_path_beneath_attr rule {};
    rule.allowed_access = access;
    rule.parent_fd = parent.get();
    if (syscall(__NR_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
      return core::ErrnoError(errno, "landlock_add_rule " + dir);
    return core::Status::Ok();
  };
  if (plan.eligible) {
    if (plan.granted_everywhere)
      if (auto st = add("/", plan.granted_everywhere); !st.ok()) return st.error();
    for (const auto& dir : plan.dirs)
      if (auto st = add(dir, plan.granted); !st.ok()) return st.error();
  }
  // One rule per allowed port (Landlock has no ranges), each with the rights of the syscalls
  // that allow it.
  std::vector<uint64_t> rights(65536, 0);
  for (const auto& [tcp, right] : {std::pair{&plan.connect, filters::kLandlockConnectTcp},
                                   std::pair{&plan.bind, filters::kLandlockBindTcp}}) {
    if (!tcp->handled) continue;
    for (const auto& range : tcp->ports)
      for (uint32_t port = range.first; port <= range.last; ++port) rights[port] |= right;
  }
  for (uint32_t port = 0; port < rights.size(); ++port) {
    if (!rights[port]) continue;
    NetPortAttr rule{rights[port], port};
    if (syscall(__NR_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_NET_PORT, &rule, 0) != 0)
      return core::ErrnoError(errno, "landlock_add_rule port " + std::to_string(port));
  }
  return ruleset;
}

int LandlockRestrictSelf(int ruleset_fd) {
  return syscall(__NR_landlock_restrict_self, ruleset_fd, 0) == 0 ? 0 : errno;
}

}  // namespace pwnbox::supervisor
