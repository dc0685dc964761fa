#include "core/syscalls.h"

#include <linux/audit.h>
#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

namespace pwnbox::core {
namespace {

constexpr int kX32Bit = 0x40000000;
// Above the highest number any x86 ABI uses (x32's compat range ends at 547, i386 near 460).
constexpr int kMaxScan = 1100;

uint32_t SeccompArch(Abi abi) {
  switch (abi) {
    case Abi::kX86_64:
      return SCMP_ARCH_X86_64;
    case Abi::kI386:
      return SCMP_ARCH_X86;
    case Abi::kX32:
      return SCMP_ARCH_X32;
  }
  return SCMP_ARCH_X86_64;
}

struct AbiTable {
  std::vector<int> numbers;                // ascending, as the kernel sees them
  std::vector<std::string_view> by_index;  // kMaxScan entries, indexed by nr without bit 30
  std::deque<std::string> storage;         // owns the names (never moves elements)
};

constexpr ExtraSyscall kExtra[] = {
    {"uretprobe", 335, -1, -1},        // 6.11, x86-64 only
    {"uprobe", 336, -1, -1},           // 6.16, x86-64 only
    {"statmount", 457, 457, 457},      // 6.8
    {"listmount", 458, 458, 458},
    {"lsm_get_self_attr", 459, 459, 459},
    {"lsm_set_self_attr", 460, 460, 460},
    {"lsm_list_modules", 461, 461, 461},
    {"mseal", 462, 462, 462},          // 6.10
    {"setxattrat", 463, 463, 463},     // 6.13
    {"getxattrat", 464, 464, 464},
    {"listxattrat", 465, 465, 465},
    {"removexattrat", 466, 466, 466},
    {"open_tree_attr", 467, 467, 467},  // 6.15
    {"file_getattr", 468, 468, 468},    // 6.17
    {"file_setattr", 469, 469, 469},
};

int ExtraNumber(const ExtraSyscall& e, Abi abi) {
  switch (abi) {
    case Abi::kX86_64: return e.x86_64;
    case Abi::kI386: return e.i386;
    case Abi::kX32: return e.x32;
  }
  return -1;
}

AbiTable* BuildTable(Abi abi) {
  auto* t = new AbiTable;
  t->by_index.resize(kMaxScan);
  const uint32_t arch = SeccompArch(abi);
  const int base = abi == Abi::kX32 ? kX32Bit : 0;
  for (int n = 0; n < kMaxScan; ++n) {
    char* name = seccomp_syscall_resolve_num_arch(arch, base + n);
    if (name == nullptr) continue;
    t->storage.emplace_back(name);
    free(name);
    t->by_index[n] = t->storage.back();
    t->numbers.push_back(base + n);
  }
  for (const ExtraSyscall& e : kExtra) {
    const int n = ExtraNumber(e, abi);
    if (n < 0 || n >= kMaxScan || !t->by_index[n].empty()) continue;
    t->by_index[n] = e.name;
    t->numbers.push_back(base + n);
  }
  std::sort(t->numbers.begin(), t->numbers.end());
  return t;
}

const AbiTable& Table(Abi abi) {
  static AbiTable* const tables[3] = {BuildTable(Abi::kX86_64), BuildTable(Abi::kI386),
                                      BuildTable(Abi::kX32)};
  return *tables[static_cast<int>(abi)];
}

constexpr SyscallSig kGeneric = {
    "",
    6,
    {{ArgKind::kHex, "arg0", nullptr},
     {ArgKind::kHex, "arg1", nullptr},
     {ArgKind::kHex, "arg2", nullptr},
     {ArgKind::kHex, "arg3", nullptr},
     {ArgKind::kHex, "arg4", nullptr},
     {ArgKind::kHex, "arg5", nullptr}},
    RetKind::kHex,
};

const SyscallSig* FindSignature(std::string_view name) {
  std::span<const SyscallSig> sigs = AllSignatures();
  auto it = std::lower_bound(sigs.begin(), sigs.end(), name,
                             [](const SyscallSig& s, std::string_view n) { return s.name < n; });
  if (it == sigs.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace

std::string_view AbiName(Abi abi) {
  switch (abi) {
    case Abi::kX86_64:
      return "x86_64";
    case Abi::kI386:
      return "i386";
    case Abi::kX32:
      return "x32";
  }
  return "";
}

std::optional<Abi> AbiFromName(std::string_view name) {
  if (name == "x86_64" || name == "x86-64" || name == "amd64") return Abi::kX86_64;
  if (name == "i386" || name == "x86" || name == "ia32") return Abi::kI386;
  if (name == "x32") return Abi::kX32;
  return std::nullopt;
}

uint32_t AuditArch(Abi abi) { return abi == Abi::kI386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64; }

Abi AbiOfCall(uint32_t audit_arch, uint64_t nr) {
  if (audit_arch == AUDIT_ARCH_I386) return Abi::kI386;
  if (nr & 0x40000000) return Abi::kX32;
  return Abi::kX86_64;
}

std::optional<int> SyscallNumber(std::string_view name, Abi abi) {
  if (name.empty()) return std::nullopt;
  std::string z(name);
  int nr = seccomp_syscall_resolve_name_arch(SeccompArch(abi), z.c_str());
  if (nr >= 0) return nr;
  for (const ExtraSyscall& e : kExtra) {
    if (e.name != name) continue;
    const int n = ExtraNumber(e, abi);
    if (n < 0) return std::nullopt;
    return abi == Abi::kX32 ? (n | kX32Bit) : n;
  }
  // Negative: unknown, or a libseccomp pseudo-number. i386's socket and IPC calls get one
  // (libseccomp models them through socketcall/ipc) although the kernel also has direct
  // numbers for them (socket = 359), which the number scan found.
  const AbiTable& t = Table(abi);
  for (int n : t.numbers) {
    if (SyscallName(n, abi) == name) return n;
  }
  return std::nullopt;
}

std::string_view SyscallName(int nr, Abi abi) {
  const AbiTable& t = Table(abi);
  if (abi == Abi::kX32) {
    if ((nr & kX32Bit) == 0) return {};
    nr &= ~kX32Bit;
  }
  if (nr < 0 || nr >= kMaxScan) return {};
  return t.by_index[nr];
}

std::span<const int> AllSyscalls(Abi abi) { return Table(abi).numbers; }

std::span<const ExtraSyscall> ExtraSyscalls() { return kExtra; }

bool LibseccompKnows(std::string_view name) {
  std::string z(name);
  return seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, z.c_str()) >= 0;
}

ArgWidth ArgType(std::string_view name, int arg, Abi abi) {
  // Resolved once per signature (FirstMatch asks on every escalated call).
  static const std::vector<std::array<ArgWidth, 6>>* const widths = [] {
    auto* v = new std::vector<std::array<ArgWidth, 6>>;
    for (const SyscallSig& sig : AllSignatures()) {
      std::array<ArgWidth, 6> a{};
      for (int i = 0; i < 6; ++i) {
        switch (DeclaredCType(sig, i)) {
          case ArgSpec::CType::kS32: a[i] = {32, true}; break;
          case ArgSpec::CType::kU32: a[i] = {32, false}; break;
          case ArgSpec::CType::kU16: a[i] = {16, false}; break;
          case ArgSpec::CType::kS64: a[i] = {64, true}; break;
          default: a[i] = {64, false}; break;
        }
      }
      v->push_back(a);
    }
    return v;
  }();
  ArgWidth w;
  const SyscallSig* s = FindSignature(name);
  if (s != nullptr && arg >= 0 && arg < 6)
    w = (*widths)[static_cast<size_t>(s - AllSignatures().data())][static_cast<size_t>(arg)];
  if (abi == Abi::kI386 && w.bits > 32) w.bits = 32;  // long is 32 bits there
  return w;
}

std::string_view CTypeName(ArgWidth w) {
  if (w.bits == 16) return w.is_signed ? "short" : "umode_t";
  if (w.bits == 32) return w.is_signed ? "int" : "unsigned int";
  return w.is_signed ? "long" : "unsigned long";
}

const SyscallSig& Signature(std::string_view name) {
  const SyscallSig* s = FindSignature(name);
  return s ? *s : kGeneric;
}

std::optional<int> ArgIndex(std::string_view syscall, std::string_view arg_name) {
  const SyscallSig& s = Signature(syscall);
  for (int i = 0; i < s.nargs; ++i) {
    if (s.args[i].name != nullptr && s.args[i].name == arg_name) return i;
  }
  return std::nullopt;
}

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> SuggestSyscalls(std::string_view name) {
  struct Cand {
    int rank;
    std::string_view name;
  };
  std::vector<Cand> cands;
  if (name.empty()) return {};
  for (const SyscallSig& s : AllSignatures()) {
    std::string_view n = s.name;
    if (n == name) continue;
    int d = EditDistance(name, n);
    if (d <= 2) {
      cands.push_back({d, n});
    } else if (n.starts_with(name)) {
      cands.push_back({3, n});
    }
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.name < b.name;
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < cands.size() && i < 3; ++i) out.emplace_back(cands[i].name);
  return out;
}

}  // namespace pwnbox::core
