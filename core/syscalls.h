// pwnbox::core syscall table: names and numbers (from libseccomp), argument signatures,
// errno names, symbolic constants and flag tables, and syscall groups.
//
// Shared by the decoder (trace output), the policy language (names, @groups, constants,
// argument names) and the supervisor (which arguments are paths). Names and numbers are never
// hand-copied: they come from libseccomp's tables for each ABI. The argument signatures are a
// sorted constexpr table (static_assert(is_sorted)) keyed by name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pwnbox::core {

enum class Abi : uint8_t { kX86_64, kI386, kX32 };
std::string_view AbiName(Abi abi);  // "x86_64", "i386", "x32"
std::optional<Abi> AbiFromName(std::string_view name);
// AUDIT_ARCH_* value of an ABI (x32 shares AUDIT_ARCH_X86_64 and sets bit 30 in the number).
uint32_t AuditArch(Abi abi);
// The ABI of a call from its seccomp_data arch and number (x32: AUDIT_ARCH_X86_64, bit 30 set).
Abi AbiOfCall(uint32_t audit_arch, uint64_t nr);

// How one argument is read and printed.
enum class ArgKind : uint8_t {
  kInt,        // signed decimal
  kUInt,       // unsigned decimal (sizes, counts)
  kHex,        // hexadecimal (addresses that are not pointers to read, cookies)
  kPtr,        // pointer printed as an address (NULL when 0)
  kFd,         // file descriptor (-y prints its path)
  kDirFd,      // dirfd: AT_FDCWD or an fd
  kPath,       // NUL-terminated path the kernel resolves
  kString,     // NUL-terminated string that is not a path
  kInBuf,      // buffer the kernel reads; length in arg `len_arg`
  kOutBuf,     // buffer the kernel writes; bytes written = return value, size in `len_arg`
  kFlags,      // bit set decoded with flag table `table`
  kEnum,       // one value decoded with constant table `table`
  kMode,       // file mode, octal (with S_IF* type bits where relevant)
  kSignal,     // signal number
  kPid,
  kUid,
  kOffset,     // off_t
  kStruct,     // pointer to a struct decoded by `table` (struct decoder name), `out` if kernel-written
  kStrArray,   // NULL-terminated array of strings (argv)
  kEnvArray,   // envp: printed as address /* N vars */
};

struct ArgSpec {
  ArgKind kind;
  const char* name;       // parameter name as in the man page: "fd", "pathname", "flags"
  const char* table;      // flag/constant table or struct decoder name, or nullptr
  int8_t len_arg = -1;    // for buffers: index of the argument holding the length
  bool out = false;       // the kernel writes through this pointer (decoded at exit)
  // The C type the x86-64 kernel reads the register as (its SYSCALL_DEFINE parameter type):
  // kByKind derives it from `kind` (see ArgType); the others override.
  enum class CType : uint8_t { kByKind, kS32, kU32, kU16, kS64, kU64 };
  CType ctype = CType::kByKind;
};


enum class RetKind : uint8_t { kInt, kHex, kFd, kPid, kVoid, kNoReturn };

struct SyscallSig {
  const char* name;
  uint8_t nargs;
  ArgSpec args[6];
  RetKind ret = RetKind::kInt;
};

// How the kernel reads one argument: the low `bits` bits of the register (a parameter of
// type int sees only the low 32 bits, umode_t the low 16), signed or not. Policy conditions
// compare with this width and signedness (filters::Compile, FirstMatch).
struct ArgWidth {
  uint8_t bits = 64;
  bool is_signed = false;
  uint64_t Mask() const { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }
  bool operator==(const ArgWidth&) const = default;
};
// Width of argument `arg` (0..5) of syscall `name` for an ABI (i386 registers are 32 bits);
// 64-bit unsigned for unknown syscalls and arguments past the signature.
ArgWidth ArgType(std::string_view name, int arg, Abi abi = Abi::kX86_64);
// The declared C type of argument `arg` of a signature (overrides, then by kind).
ArgSpec::CType DeclaredCType(const SyscallSig& sig, int arg);
// "int", "unsigned int", "umode_t", "long", "unsigned long" (for messages).
std::string_view CTypeName(ArgWidth w);

// Looks a syscall up by name for an ABI; nullopt when that ABI has no such syscall. For i386's
// multiplexed socket/IPC calls (libseccomp pseudo-numbers) this is the direct number (socket =
// 359); they are also reachable through socketcall/ipc.
std::optional<int> SyscallNumber(std::string_view name, Abi abi = Abi::kX86_64);
// The name of syscall `nr` of an ABI ("" when unknown). For x32 pass the number with bit 30.
std::string_view SyscallName(int nr, Abi abi = Abi::kX86_64);
// Syscalls of the running kernel (up to Linux 6.18) that libseccomp 2.5.4 does not know:
// name and number per ABI (-1: not on that ABI; x32 numbers without bit 30). libseccomp accepts
// their raw x86-64 numbers; SyscallNumber/SyscallName/AllSyscalls include them.
struct ExtraSyscall {
  std::string_view name;
  int x86_64, i386, x32;
};
std::span<const ExtraSyscall> ExtraSyscalls();
// True when libseccomp knows `name` on x86-64 (BPF rules can name it directly).
bool LibseccompKnows(std::string_view name);
// Every syscall number the ABI has, ascending.
std::span<const int> AllSyscalls(Abi abi = Abi::kX86_64);
// The signature of a syscall by name; a generic 6-hex-argument signature when unknown.
const SyscallSig& Signature(std::string_view name);
// Index of the parameter called `arg_name` in syscall `name`, or nullopt.
std::optional<int> ArgIndex(std::string_view syscall, std::string_view arg_name);
// Up to three names closest to `name` (edit distance), for "did you mean ...?".
std::vector<std::string> SuggestSyscalls(std::string_view name);
// Every signature in the table, sorted by name (x86-64 names plus i386-only ones).
std::span<const SyscallSig> AllSignatures();
// Levenshtein distance between two names (for the Suggest* functions).
int EditDistance(std::string_view a, std::string_view b);

// errno.
std::string_view ErrnoName(int err);                  // "ENOENT", "" if unknown
std::string_view ErrnoText(int err);                  // "No such file or directory"
std::optional<int> ErrnoFromName(std::string_view name);

// Symbolic constants usable in policies and printed by the decoder: O_*, AT_*, PROT_*, MAP_*,
// CLONE_*, AF_*, SOCK_*, IPPROTO_*, F_*, FD_*, SIG*, PR_*, MS_*, S_*, ... by name.
std::optional<uint64_t> ConstantValue(std::string_view name);
std::vector<std::string> SuggestConstants(std::string_view name);

// Syscall groups: @file, @process, @network, @signal, @ipc, @desc, @memory, @time and the rest
// `pwnbox groups` lists. Names are given without the '@'; strace's %file spellings map here too.
struct SyscallGroup {
  std::string_view name;         // "file"
  std::string_view description;  // one line
  std::vector<std::string_view> members;  // syscall names, sorted
};
std::span<const SyscallGroup> Groups();
const SyscallGroup* FindGroup(std::string_view name);  // accepts "file", "@file", "%file"

}  // namespace pwnbox::core
