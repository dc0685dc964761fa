// pwnbox::filters landlock_plan: which path rules Landlock decides in the kernel.
//
// A policy's path rules are emulated by the supervisor (every call escalated). Landlock
// enforces path allow-lists in the kernel, race-free, without escalation, but answers only
// "allowed" or EACCES, checks access rights (not syscalls) on inodes it binds when the ruleset
// is made, and ignores calls it does not hook. PlanLandlock finds the part of a policy that it
// decides exactly as the supervisor would (docs/policy.md "Path rules on Landlock"):
//
//   The Landlock-eligible subset. A policy is eligible when (all of):
//   - options.abi is x86_64 alone;
//   - `open` and `openat` are each either *covered* or *closed*, and at least one is covered;
//     `creat` and `openat2` are covered or closed too (they stay in the supervisor: creat
//     always creates, openat2's flags are in memory, but Landlock would see them if they ran);
//   - every covered syscall has the same allow-list G.
//   A syscall is *covered* when its rules, in policy order, are allow rules with `paths` only
//   (no args, when, log; every glob of the form "/D/**" with D absolute, literal (no glob
//   character, ".", ".."), and an existing directory outside /proc/<pid>; a D with a symlink
//   on the way matches no canonical path but D itself, unfollowed, and is left out), then
//   an unconditional rule (no paths, args, when, log) whose action is errno:EACCES, or no other
//   rule and `default = "errno:EACCES"`. G is the union of those D. It is *closed* when its
//   first rule, or the default when no rule names it, is unconditional and denies in the kernel
//   (errno, kill, kill-thread, trap, with no allow rule before).
//
//   What Landlock decides. For a covered `open`/`openat` call without O_CREAT, O_PATH or
//   O_TMPFILE in its flags the BPF allows the call and Landlock (handled rights READ_FILE,
//   READ_DIR, WRITE_FILE, and REFER, granted on "/" so that only renames gaining rights are
//   refused) allows it iff the file is D or beneath some D in G, else EACCES: what the
//   supervisor decides from the rules. Calls with those flags, creat, openat2 and everything
//   else keep their routes (the supervisor emulates them, outside the Landlock domain).
//   Differences (all stricter than the supervisor alone, or on objects the target holds) are
//   listed in docs/policy.md.
//
//   TCP ports (docs/policy.md "TCP ports on Landlock"). For each of `connect` and `bind`
//   (options.abi x86_64 alone) Landlock decides the syscall S when its rules, in policy order,
//   are: allow rules with `tcp_ports` only (no args), giving the allowed ports A; then one rule
//   with `tcp_ports = ["0-65535"]` (no args) and action errno:EACCES; then an unconditional
//   allow rule (no args, paths, when, log), or none and `default = "allow"`. The BPF then allows every S call, and Landlock
//   (LANDLOCK_ACCESS_NET_{CONNECT,BIND}_TCP handled, granted on each port of A) allows a TCP
//   call to a port of A, answers EACCES to a TCP call to another port, and does not restrict
//   other sockets: exactly what the supervisor decides from the rules (the catch-all denies
//   every TCP call naming a port, the allow rule after it takes the others). At most
//   kLandlockMaxPorts allowed ports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/policy.h"

namespace pwnbox::filters {

// Landlock filesystem access rights (linux/landlock.h; Debian's header is older).
inline constexpr uint64_t kLandlockExecute = 1ULL << 0;
inline constexpr uint64_t kLandlockWriteFile = 1ULL << 1;
inline constexpr uint64_t kLandlockReadFile = 1ULL << 2;
inline constexpr uint64_t kLandlockReadDir = 1ULL << 3;
inline constexpr uint64_t kLandlockRefer = 1ULL << 13;

// The Landlock ABI the plan needs: 6 (REFER since 2; the launcher's ruleset also scopes signals,
// which needs 6, and one domain keeps the supervisor's isolation and the paths together).
inline constexpr int kLandlockPathsAbi = 6;

// O_CREAT | O_PATH | __O_TMPFILE: open/openat calls with any of these stay escalated.
inline constexpr uint64_t kLandlockEscalatedOpenFlags = 0100 | 010000000 | 020000000;

// EmittedRule::rule of the BPF rules that hand open/openat to Landlock (no policy rule, no
// Guard: FindGuard returns nullptr for it).
inline constexpr int kLandlockEntryCode = -100;

// Landlock network access rights (ABI 4; Debian's header is older).
inline constexpr uint64_t kLandlockBindTcp = 1ULL << 0;
inline constexpr uint64_t kLandlockConnectTcp = 1ULL << 1;

// At most this many allowed ports per syscall for Landlock (one rule per port: 65,535 cost
// about 0.5 s when the run starts, measured); more leave the syscall to the supervisor.
inline constexpr int kLandlockMaxPorts = 1024;

// What Landlock decides for one of connect/bind.
struct LandlockTcp {
  bool handled = false;                // Landlock decides every TCP call of this syscall
  std::vector<config::PortRange> ports;  // the ports it allows (normalized)
};

struct LandlockPlan {
  bool eligible = false;
  std::string why_not;  // when not eligible: the first reason, one line
  // The syscalls whose calls (without kLandlockEscalatedOpenFlags) Landlock decides: "open",
  // "openat" (those that are covered).
  std::vector<std::string> syscalls;
  // The directories of G, canonical, sorted, unique: each gets `granted` beneath it.
  std::vector<std::string> dirs;
  uint64_t handled = kLandlockReadFile | kLandlockReadDir | kLandlockWriteFile | kLandlockRefer;
  uint64_t granted = kLandlockReadFile | kLandlockReadDir | kLandlockWriteFile;
  // Granted on "/" (rename/link between directories with the same rights).
  uint64_t granted_everywhere = kLandlockRefer;
  // Indices of the allow rules whose `open`/`openat` calls Landlock decides.
  std::vector<int> rules;

  // TCP ports (independent of the paths part above: `eligible` is about paths).
  LandlockTcp connect, bind;
  std::string tcp_why_not;  // why neither connect nor bind is decided (one line), or ""
  std::vector<int> tcp_rules;  // indices of the tcp_ports rules Landlock decides
  uint64_t HandledNet() const {
    return (connect.handled ? kLandlockConnectTcp : 0) | (bind.handled ? kLandlockBindTcp : 0);
  }
  // Whether the launcher must apply this plan's ruleset (paths, TCP ports, or both).
  bool Applies() const { return eligible || HandledNet() != 0; }
};

// The Landlock part of `policy` (see above). Reads the filesystem (lstat/realpath of each D):
// call it when the policy is compiled for a run.
LandlockPlan PlanLandlock(const config::Policy& policy);

// The argument index of `syscall`'s open flags ("open": 1, "openat": 2), -1 otherwise.
int LandlockFlagsArg(const std::string& syscall);

}  // namespace pwnbox::filters
