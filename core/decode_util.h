// Internal to the decoder (core/decoder.cc and core/decode_*.cc): the decoding context, the
// printing helpers every family uses (strings, fds, flags, addresses), and the registries of
// struct decoders and per-syscall hooks. Not for use outside the decoder.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/decoder.h"
#include "core/syscalls.h"
#include "core/xlat.h"

namespace pwnbox::core::decode {

// What one Entry()/Exit() pass works on.
struct Ctx {
  const SyscallCall& call;
  TargetMemory& mem;
  const DecodeOptions& opt;
  const SyscallSig& sig;
  std::string_view name;
  bool exiting;
  DecodedCall* dc = nullptr;  // the call being decoded (for DecodedCall::saved)
  // The declared C type of each argument (DeclaredCType), or nullptr (unknown syscall: all
  // unsigned long).
  const ArgSpec::CType* ctypes = nullptr;

  uint64_t Arg(int i) const;  // truncated to 32 bits on i386
  ArgSpec::CType CType(int i) const {
    return ctypes != nullptr && i < sig.nargs ? ctypes[i] : ArgSpec::CType::kU64;
  }
  // Argument `i` as the kernel reads it: cut to the width of its C type and, for signed types,
  // sign-extended (int from the low 32 bits, whatever the upper half holds).
  int64_t SArg(int i) const;
  uint64_t UArg(int i) const;
  bool Compat() const { return call.abi == Abi::kI386; }
  bool Failed() const { return exiting && call.ret < 0 && call.ret >= -4095; }
  size_t Limit() const { return opt.string_limit; }
};

// ---- reading ----
// True when all `len` bytes at `addr` were read.
bool ReadAll(TargetMemory& mem, uint64_t addr, void* buf, size_t len);
template <typename T>
bool Fetch(Ctx& c, uint64_t addr, T* v) {
  return ReadAll(c.mem, addr, v, sizeof(T));
}
// Reads a pointer-sized word (4 bytes on i386).
bool FetchWord(Ctx& c, uint64_t addr, uint64_t* v);
// Reads a NUL-terminated string of at most `max` bytes into `out` (without the NUL). Returns
// false when memory ends unreadable before the NUL and before `max` bytes (strace then prints
// the address); sets *terminated when the NUL was found within `max`.
bool ReadCString(TargetMemory& mem, uint64_t addr, size_t max, std::string* out,
                 bool* terminated);

// ---- printing ----
// -X: how the Append* helpers below print named constants while the scope lives (the decoder
// opens one around each Entry()/Exit(); thread-local).
// A named constant whose number is written `raw`, as the scope's -X style asks: `name`, `raw`,
// or "raw /* name */".
void AppendNamed(std::string* out, std::string_view raw, std::string_view name);
class StyleScope {
 public:
  explicit StyleScope(XlatStyle style);
  ~StyleScope();
  StyleScope(const StyleScope&) = delete;
  StyleScope& operator=(const StyleScope&) = delete;

 private:
  XlatStyle saved_;
};
void AppendDec(std::string* out, int64_t v);
void AppendUDec(std::string* out, uint64_t v);
void AppendHex(std::string* out, uint64_t v);   // "0x1f", "0" for 0
void AppendAddr(std::string* out, uint64_t v);  // "NULL" or "0x7ffd..."
// strace's "%#03o": "0644", "051", "000" (umode_t as strace prints it).
void AppendOct(std::string* out, uint64_t v);
// A uid_t/gid_t as strace prints it: unsigned, except (uid_t)-1 which is "-1".
void AppendUid(std::string* out, uint32_t uid);
// strace's string_quote: `data` quoted; when `hex` every byte as \xNN.
void AppendQuoted(std::string* out, std::string_view data, bool hex = false);
// The same escapes without the quotes; bytes listed in `extra` are escaped in octal too (-y
// paths escape "<>", as strace does).
void AppendEscaped(std::string* out, std::string_view data, bool hex = false,
                   std::string_view extra = {});
// printstrn: buffer of `len` bytes at `addr`, cut at the string limit with "...".
void AppendBuffer(Ctx& c, std::string* out, uint64_t addr, uint64_t len, bool hex = false);
// printstr: NUL-terminated string, cut at the string limit.
void AppendCString(Ctx& c, std::string* out, uint64_t addr);
// printpath: NUL-terminated path, never cut below PATH_MAX.
void AppendPath(Ctx& c, std::string* out, uint64_t addr);
void AppendFd(Ctx& c, std::string* out, int fd);
void AppendDirFd(Ctx& c, std::string* out, int fd);
// Flag/constant tables by name (cached FindXlat). Missing table: hex / decimal.
void AppendFlags(std::string* out, const char* table, uint64_t v);
void AppendEnum(std::string* out, const char* table, uint64_t v);
// Enum with a default when the value is not in the table ("B???", or hex when dflt is null).
bool AppendEnumOr(std::string* out, const char* table, uint64_t v, const char* dflt);
const Xlat* CachedXlat(const char* table);
// strace's print_symbolic_mode_t: "S_IFREG|S_ISUID|0755"; an unknown file type: all octal.
void AppendMode(std::string* out, uint32_t mode);
void AppendSignal(std::string* out, int sig);       // "SIGCHLD" or "33"
// "[INT TERM]", "~[RTMIN RT_1]" from `bytes` bytes of mask.
void AppendSigmask(std::string* out, const uint8_t* mask, size_t bytes);
// strace's "[...]" array loop: `count` elements of `elem_size` at `addr`, each printed by
// `fn` (false: stop, print the element's address). Cut at the string limit with "...".
template <typename Fn>
void AppendArray(Ctx& c, std::string* out, uint64_t addr, uint64_t count, size_t elem_size,
                 Fn fn);
// strace's print_nonzero_bytes for a struct given a size larger than the one it knows: when
// bytes [start, size) at `addr` are not all zero, ", /* bytes 24..31 */ "\x01\x00..."" (at
// most a page of them, in hex). Nothing when they are zero, size <= start, or unreadable.
void AppendNonzeroTail(Ctx& c, uint64_t addr, uint64_t start, uint64_t size, std::string* out);
// The errno text of a failed call: "-1 ENOENT (No such file or directory)".
void AppendError(std::string* out, int err);

// ---- struct decoders (ArgSpec::table of kStruct arguments) ----
// Appends the struct at `addr` (non-zero, readable or not) for argument `idx`. Returns false
// when the memory could not be read: the caller then prints the address instead.
using StructFn = bool (*)(Ctx& c, uint64_t addr, int idx, std::string* out);
struct StructDecoder {
  std::string_view name;
  StructFn fn;
  bool compat_ok;  // layout is the same on i386
};
const StructDecoder* FindStructDecoder(std::string_view name);

// ---- per-syscall hooks ----
enum class ArgResult { kGeneric, kHandled, kOmit };
struct CallHooks {
  std::string_view name;
  // How many arguments Entry() prints (default: up to the first `out` one).
  int (*entry_split)(Ctx& c) = nullptr;
  // Prints argument `idx` itself, or asks for the generic rule, or omits it.
  ArgResult (*arg)(Ctx& c, int idx, std::string* out) = nullptr;
  // Prints the return value of a successful call (true) or leaves it to the generic rule.
  bool (*ret)(Ctx& c, std::string* out) = nullptr;
  // Replaces the whole argument layout (clone): appends to out->args at entry and at exit.
  void (*layout)(Ctx& c, DecodedCall* out) = nullptr;
};
const CallHooks* FindCallHooks(std::string_view name);

// Family registries (one per decode_*.cc).
std::span<const StructDecoder> FileStructs();
std::span<const StructDecoder> NetStructs();
std::span<const StructDecoder> SignalStructs();
std::span<const StructDecoder> ProcessStructs();
std::span<const StructDecoder> TimeStructs();
std::span<const StructDecoder> PollStructs();
std::span<const StructDecoder> IpcStructs();
std::span<const CallHooks> FileHooks();
std::span<const CallHooks> NetHooks();
std::span<const CallHooks> SignalHooks();
std::span<const CallHooks> ProcessHooks();
std::span<const CallHooks> MemoryHooks();
std::span<const CallHooks> PollHooks();
std::span<const CallHooks> TimeHooks();
std::span<const CallHooks> IpcHooks();

// Shared pieces between families.
bool AppendTimespec(Ctx& c, uint64_t addr, std::string* out);
bool AppendTimeval(Ctx& c, uint64_t addr, std::string* out);
void AppendTimevalValue(std::string* out, int64_t sec, int64_t usec);
bool AppendSockaddr(Ctx& c, uint64_t addr, uint64_t len, std::string* out);
// iovec array; `data_limit` caps the bytes shown in total (readv: the return value).
// `addr_only`: the bases as addresses (a failed readv, process_madvise), as strace's
// IOV_DECODE_ADDR.
bool AppendIovec(Ctx& c, uint64_t addr, uint64_t count, uint64_t data_limit, std::string* out,
                 bool addr_only = false);
void AppendWaitStatus(std::string* out, int status);

// ---- template definitions ----
template <typename Fn>
void AppendArray(Ctx& c, std::string* out, uint64_t addr, uint64_t count, size_t elem_size,
                 Fn fn) {
  out->push_back('[');
  for (uint64_t i = 0; i < count; ++i) {
    if (i != 0) out->append(", ");
    if (i >= c.Limit()) {
      out->append("...");
      break;
    }
    uint64_t a = addr + i * elem_size;
    if (!fn(a)) {
      if (i == 0) {
        out->pop_back();
        AppendAddr(out, addr);
        return;
      }
      out->append("... /* ");
      AppendAddr(out, a);
      out->append(" */");
      break;
    }
  }
  out->push_back(']');
}

}  // namespace pwnbox::core::decode
