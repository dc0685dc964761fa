// pwnbox::profile::Call: one system call a run made, as an input (a .pwnr recording or an
// strace -f -o log) tells it. The inputs differ in what they know: a recording has every raw
// argument; a strace log has the decoded text, from which the readers recover the values of the
// arguments that are numbers, flag sets or named constants (known_args says which).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/syscalls.h"

namespace pwnbox::profile {

struct Call {
  core::Abi abi = core::Abi::kX86_64;
  int nr = -1;       // the syscall's number in `abi` (core::SyscallNumber(name, abi))
  std::string name;  // libseccomp's name ("openat")
  int pid = 0;       // task id in the input (0 when the input does not say)
  uint64_t args[6] = {};
  uint8_t known_args = 0;  // bit i set: args[i] is the value the call was made with
  // The call's pathname arguments, in argument order, as the program passed them (relative
  // ones are joined to the run's starting directory when the input says what it was).
  std::vector<std::string> paths;
  bool returned = false;  // the result is known (exit_group, for one, never returns)
  int64_t ret = 0;        // -errno on failure

  bool Known(int i) const { return (known_args >> i) & 1; }
};

using CallSink = std::function<void(const Call&)>;

// Reads a .pwnr recording: one Call per syscall entry of every task, in recording order.
// Errors are the recorder's one-line messages (corrupt, truncated, not a recording).
core::Status ReadRecording(const std::string& path, const CallSink& sink);

// Reads an `strace -f -o FILE` log (also -ff, -t/-tt/-ttt, -T, -y, -s N, -v and unfinished/
// resumed pairs, "[pid N]" or bare "N " prefixes). Lines that are not calls (signals, exits,
// "+++"/"---" lines) are skipped; a line that looks like a call but cannot be parsed is an error
// "FILE:LINE: ..." saying why.
core::Status ReadStraceLog(const std::string& path, const CallSink& sink);

// Either of the above, chosen by content (a recording starts with "PWNR").
core::Status ReadInput(const std::string& path, const CallSink& sink);

}  // namespace pwnbox::profile
