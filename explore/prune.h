// pwnbox::explore pruning (issue 15: "a branch whose remaining syscalls equal its parent's is
// pruned"; docs/explore.md "Pruning"). After a branch point, the run that made it (the parent:
// the baseline, or a branch at --depth 2) and each branch of the point are followed call by call
// (PTRACE_SYSCALL) for a window of kPruneWindow calls. A CallWindow folds each completed call
// (ABI, number, the six arguments, the result, and the bytes written by write/pwrite64) into a
// 64-bit hash. At the window's end (the entry of the next call) the task's state is digested
// (TaskDigest: registers, writable memory, mappings, open files, cwd, signal state). A branch
// whose window hash and digest equal its parent's is in the parent's state at the same point of
// the same call sequence: from there it would make the parent's calls with the parent's
// results (given the same inputs from outside), so it is stopped and reported `pruned`.
//
// Cost: 2 * kPruneWindow ptrace stops per point in the parent and per branch, one digest per
// point in the parent (reading its writable memory once) and one per branch whose calls matched.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "core/status.h"

namespace pwnbox::explore {

// Calls per window: long enough for a branch's fault to show in its calls (a failing open is
// followed by a message write or another open within a few calls), short enough to stop an
// equal branch early.
inline constexpr int kPruneWindow = 32;

// The calls of one task over a window, as a hash. Fed at the task's syscall stops.
class CallWindow {
 public:
  // At a syscall-enter-stop: remembers the call (completed by Exit).
  void Entry(uint32_t arch, uint64_t nr, const uint64_t (&args)[6]);
  // At the matching syscall-exit-stop: folds the call and its result `rval` into the hash;
  // for write(2)/pwrite64(2) also the bytes written (read from `tid`).
  void Exit(pid_t tid, int64_t rval);
  // At the task's end: folds the pending call (exit_group) and the wait status.
  void End(int wait_status);
  int calls() const { return calls_; }
  uint64_t hash() const { return hash_; }

 private:
  void Fold(uint64_t v);
  uint64_t hash_ = 0xcbf29ce484222325ULL;
  int calls_ = 0;
  bool pending_ = false;
  uint32_t arch_ = 0;
  uint64_t nr_ = 0, args_[6] = {};
};

// What a task's future depends on, besides inputs from outside, at a syscall-enter-stop.
struct TaskDigest {
  std::string regs;     // user_regs_struct and user_fpregs_struct, raw
  std::string maps;     // /proc/PID/maps
  std::string files;    // per fd: its target, offset and flags; cwd
  std::string signals;  // SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt
  uint64_t memory = 0;  // hash of every writable mapping's contents
};

// Digests `tid` (stopped). The targets of fds under `own_dir` (the explorer's output files:
// each run has its own) compare as "output", without their offsets. Fails when the task cannot
// be read, or has more than 1 GiB of writable memory (not worth reading).
core::Result<TaskDigest> DigestTask(pid_t tid, const std::string& own_dir);

// "" when equal, else the first part that differs ("registers", "memory", ...).
std::string DigestDifference(const TaskDigest& a, const TaskDigest& b);

// Whether the x86-64 or i386 call `nr` of `arch` (AUDIT_ARCH_*) creates a process or replaces
// the program (clone, fork, vfork, clone3, execve, execveat): a window containing one proves
// nothing (the digest covers one task).
bool StartsOrReplacesProcess(uint32_t arch, uint64_t nr);

}  // namespace pwnbox::explore
