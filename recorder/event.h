// pwnbox::recorder::Event and Header: the plain values a .pwnr recording stores.
//
// docs/trace-format.md describes how they are laid out on disk.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pwnbox::recorder {

// Memory the decoder read from the target: `bytes` were at `addr`.
struct MemoryBlob {
  uint64_t addr = 0;
  std::string bytes;

  bool operator==(const MemoryBlob&) const = default;
};

// One thing that happened to one task.
struct Event {
  // kRegs (--snapshots): the task's registers at a syscall entry, `data` = user_regs_struct.
  // kSnapshot (--snapshots): pages of the process's writable memory that changed since its
  // previous snapshot, `data` = repeated {u64 address, 4096 bytes}.
  enum class Kind : uint8_t { kSyscall, kSignal, kExit, kExec, kNewTask, kRegs, kSnapshot };
  static constexpr uint8_t kLastKind = static_cast<uint8_t>(Kind::kSnapshot);

  Kind kind = Kind::kSyscall;
  uint64_t seq = 0;     // strictly increasing within a recording
  int32_t pid = 0;      // task id
  int32_t tgid = 0;     // thread group id
  int64_t time_ns = 0;  // CLOCK_REALTIME
  // kSyscall:
  uint8_t abi = 0;  // core::Abi
  int32_t nr = -1;
  uint64_t args[6] = {};
  int64_t ret = 0;        // kExit: the wait status
  bool returned = false;  // the exit of the call was seen (ret is valid unless ret_unknown)
  // With returned: the call ended but its result is not known (ret is 0): the supervisor let
  // it go on in the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE, e.g. an execve under a path
  // rule) and no tracer stop saw its end. `show` prints `= ?`.
  bool ret_unknown = false;
  int64_t dur_ns = 0;
  std::vector<MemoryBlob> entry_mem;  // bytes the decoder read at entry
  std::vector<MemoryBlob> exit_mem;   // bytes the decoder read at exit
  // kSignal: the siginfo_t bytes (128). kExec: args[0] is the pid the task had before execve.
  std::string data;

  bool operator==(const Event&) const = default;
};

// The recording's header.
struct Header {
  uint16_t version = 0;     // set by Writer; what Reader found in the file
  uint16_t flags = 0;       // reserved, 0
  int64_t created_ns = 0;   // CLOCK_REALTIME; Writer fills it when 0
  std::string command_line;  // the recorded command, as the user typed it
  std::map<std::string, std::string> metadata;  // free-form: policy path, pwnbox version, ...

  bool operator==(const Header&) const = default;
};

}  // namespace pwnbox::recorder
