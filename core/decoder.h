// pwnbox::core::Decoder: turns a syscall (number, raw arguments, result, and the target's
// memory) into strace's text, argument by argument.
//
// Arguments the kernel reads are decoded at entry; arguments it writes (read buffers, stat
// structs, ...) at exit, exactly as strace does. The decoder never touches a process itself: it
// reads through TargetMemory, which is process_vm_readv on a live task or the bytes stored in a
// recording, so `pwnbox show` prints the same text `pwnbox trace` printed.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/syscalls.h"

namespace pwnbox::core {

// The memory of one traced task.
class TargetMemory {
 public:
  virtual ~TargetMemory() = default;
  // Copies up to `len` bytes at `addr` into `buf`. Returns the number of bytes copied, which is
  // less than `len` when the range ends in unmapped memory, or -1 when `addr` is not readable.
  virtual ssize_t Read(uint64_t addr, void* buf, size_t len) = 0;
  // The same, for a reader looking for a NUL-terminated string: only the bytes up to and
  // including the first NUL matter to it (a recorder keeps just those).
  virtual ssize_t ReadStringBytes(uint64_t addr, void* buf, size_t len) {
    return Read(addr, buf, len);
  }
};

// Reads a live task's memory with process_vm_readv (falling back to /proc/PID/mem).
class ProcessMemory final : public TargetMemory {
 public:
  explicit ProcessMemory(pid_t pid) : pid_(pid) {}
  ssize_t Read(uint64_t addr, void* buf, size_t len) override;

 private:
  pid_t pid_;
};

// How named constants and flags print (-X): "O_RDONLY|O_CLOEXEC" (abbrev, strace's default),
// "0x80000" (raw), "0x80000 /* O_RDONLY|O_CLOEXEC */" (verbose).
enum class XlatStyle { kAbbrev, kRaw, kVerbose };

// A set of syscalls named by an -e QUALIFIER=SET option (raw=, verbose=, abbrev=).
struct SyscallNameSet {
  bool all = false;
  std::vector<std::string> names;  // sorted, when !all
  bool Has(std::string_view name) const;
};

struct DecodeOptions {
  size_t string_limit = 32;  // -s N
  size_t column = 40;        // -a N: the column " = " is aligned to
  bool fd_paths = false;     // -y: print "3</etc/passwd>"
  XlatStyle xlat = XlatStyle::kAbbrev;  // -X
  // -e raw=SET: these calls' arguments and result are printed undecoded, in hex.
  SyscallNameSet raw;
  // -e verbose=SET (strace's default: all): the structures these calls point to are printed;
  // for the others, their addresses.
  SyscallNameSet verbose{true, {}};
  // -e abbrev=SET (default all; -v is abbrev=none): these calls print large structures
  // abbreviated (execve's environment as "0x7ffd... /* 20 vars */"); the others in full.
  SyscallNameSet abbrev{true, {}};
  // For -y: the path behind fd `fd` of task `pid` (live: readlink /proc/PID/fd/N). Also called
  // with AT_FDCWD for the task's working directory (readlink /proc/PID/cwd).
  std::function<std::optional<std::string>(pid_t pid, int fd)> fd_path;
  // -yy (decode-fds=socket): what strace prints between the <> of a socket fd, already
  // formatted and escaped ("UNIX-STREAM:[123->124]", "TCP:[127.0.0.1:80->127.0.0.1:4242]"), or
  // nullopt for an fd that is not a socket (then fd_path applies).
  std::function<std::optional<std::string>(pid_t pid, int fd)> fd_socket;
};

// One syscall as the tracer saw it.
struct SyscallCall {
  pid_t pid = 0;
  Abi abi = Abi::kX86_64;
  int nr = -1;               // number in `abi` (x32: with bit 30 set)
  uint64_t args[6] = {};
  int64_t ret = 0;           // valid at exit
  uint64_t sp = 0;           // stack pointer at entry (0: unknown), for rt_sigreturn
};

// The decoded text of one syscall, filled by Entry() and completed by Exit().
struct DecodedCall {
  std::string name;               // "openat"; "syscall_0x1234" when unknown
  std::vector<std::string> args;  // one string per printed argument
  size_t entry_args = 0;          // how many of `args` Entry() produced
  bool has_exit = false;
  std::string ret;                // "3", "-1 ENOENT (No such file or directory)", "0x7f12...", "?"
  std::string error;              // errno name when the call failed ("ENOENT"), else empty
  // Entry() stopped before an argument it leaves to Exit(): EntryText() ends with ", " (strace's
  // "read(3, "). False when Exit() prints its arguments with their own leading ", " (clone).
  bool entry_sep = false;
  // What Exit() adds to the last argument Entry() printed (clone3's " => {parent_tid=[42]}").
  std::string entry_suffix;
  // Values Entry() read for Exit() to compare with (socklen_t in/out: strace's "[110 => 16]");
  // bit 32 set when valid.
  uint64_t saved[6] = {};
  size_t align = 40;  // the column " = " is padded to (DecodeOptions::column)

  // "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY)" padded and "= 3" appended (strace's
  // column 40). Only after Exit().
  std::string Line() const;
  // For <unfinished ...>: "read(3, " (what was known at entry).
  std::string EntryText() const;
  // For <... read resumed>: "\"vm\\n\", 131072) = 3" (the rest, with the result).
  std::string ResumedText() const;
  // The same, for text that starts at `column` of the output line (after "[pid  42] " or
  // "<... read resumed>"): strace counts those characters when it pads to column 40.
  std::string Line(size_t column) const;
  std::string ResumedText(size_t column) const;
};

class Decoder {
 public:
  explicit Decoder(DecodeOptions options) : options_(std::move(options)) {}
  // Decodes the arguments the kernel reads. `out` is overwritten.
  void Entry(const SyscallCall& call, TargetMemory& mem, DecodedCall* out) const;
  // Decodes the arguments the kernel wrote and the result. `call.ret` must be set.
  void Exit(const SyscallCall& call, TargetMemory& mem, DecodedCall* out) const;
  const DecodeOptions& options() const { return options_; }

 private:
  DecodeOptions options_;
};

// "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, si_uid=0, si_status=0, si_utime=0,
// si_stime=0}" as strace prints it in "--- SIGCHLD {...} ---".
std::string FormatSiginfo(const siginfo_t& si);
// The same, with named constants printed as -X asks.
std::string FormatSiginfo(const siginfo_t& si, XlatStyle style);
std::string_view SignalName(int sig);  // "SIGCHLD", "SIGRT_3", "" for 0
// Quotes and escapes `data` as strace does, cut at `limit` bytes with "..." after the quote.
std::string QuoteString(std::string_view data, size_t limit, bool truncated_by_caller = false);

}  // namespace pwnbox::core
