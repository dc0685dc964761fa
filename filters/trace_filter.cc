#include "filters/trace_filter.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "filters/internal.h"

namespace pwnbox::filters {
namespace {

constexpr uint64_t kCloneUntraced = 0x00800000;  // CLONE_UNTRACED

}  // namespace

core::Result<std::vector<sock_filter>> CompileTraceFilter(
    const TraceSelection& selection, const std::vector<std::string>& always) {
  const uint32_t trace = selection.all ? SCMP_ACT_TRACE(0) : SCMP_ACT_ALLOW;
  internal::CtxPtr ctx(seccomp_init(trace), &seccomp_release);
  if (!ctx) return core::Error("seccomp_init failed");
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
  for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc != 0 && rc != -EEXIST) return core::ErrnoError(-rc, "seccomp_arch_add");
  }
  // Syscalls newer than libseccomp 2.5.4 (core's own table): stopped by a prologue of ours.
  std::vector<sock_filter> prologue;
  auto add_raw = [&](const std::string& name, uint16_t data) {
    for (auto abi : {core::Abi::kX86_64, core::Abi::kI386, core::Abi::kX32}) {
      auto nr = core::SyscallNumber(name, abi);
      if (!nr) continue;
      prologue.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
      prologue.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, core::AuditArch(abi), 0, 3));
      prologue.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
      prologue.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(*nr), 0, 1));
      prologue.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | data));
    }
  };
  if (!selection.all) {
    std::set<std::string> names(selection.names.begin(), selection.names.end());
    auto add = [&](const std::string& name, uint32_t action) {
      if (!core::LibseccompKnows(name)) {
        add_raw(name, static_cast<uint16_t>(action & SECCOMP_RET_DATA));
        return;
      }
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) return;  // absent in every ABI we filter
      // Adds the rule for each ABI that has the syscall; libseccomp skips the others.
      seccomp_rule_add(ctx.get(), action, nr, 0);
    };
    for (const auto& name : names) add(name, SCMP_ACT_TRACE(0));
    for (const auto& name : always)
      if (!names.count(name)) add(name, SCMP_ACT_TRACE(kTraceHidden));
    // The tracer clears CLONE_UNTRACED (see the header).
    if (!names.count("clone")) {
      int nr = seccomp_syscall_resolve_name("clone");
      seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kTraceHidden), nr, 1,
                       SCMP_A0(SCMP_CMP_MASKED_EQ, kCloneUntraced, kCloneUntraced));
    }
    if (!names.count("clone3")) add("clone3", SCMP_ACT_TRACE(kTraceHidden));
    // Numbers are x86_64 numbers: traced by name, so the other ABIs' same call stops too.
    for (int nr : selection.numbers) {
      const std::string n(core::SyscallName(nr, core::Abi::kX86_64));
      if (n.empty() || n.rfind("syscall_", 0) == 0)
        return core::Error("no x86_64 syscall has number " + std::to_string(nr));
      if (!names.count(n)) add(n, SCMP_ACT_TRACE(0));
    }
  }
  PWNBOX_ASSIGN_OR_RETURN(std::vector<sock_filter> bpf, internal::ExportBpf(ctx.get()));
  if (prologue.empty()) return bpf;
  prologue.insert(prologue.end(), bpf.begin(), bpf.end());
  if (prologue.size() > BPF_MAXINSNS) return core::Error("the trace filter is too large");
  return prologue;
}

std::function<bool(core::Abi, int nr)> TraceSelector(const TraceSelection& selection) {
  if (selection.all) return [](core::Abi, int) { return true; };
  std::set<std::pair<int, int>> wanted;
  for (const auto& n : selection.names)
    for (auto abi : {core::Abi::kX86_64, core::Abi::kI386, core::Abi::kX32})
      if (auto nr = core::SyscallNumber(n, abi)) wanted.insert({static_cast<int>(abi), *nr});
  // Numbers are x86_64 numbers, traced by name in every ABI (as the filter stops them).
  for (int nr : selection.numbers) {
    wanted.insert({static_cast<int>(core::Abi::kX86_64), nr});
    const std::string name(core::SyscallName(nr, core::Abi::kX86_64));
    if (name.empty()) continue;
    for (auto abi : {core::Abi::kI386, core::Abi::kX32})
      if (auto n = core::SyscallNumber(name, abi)) wanted.insert({static_cast<int>(abi), *n});
  }
  return [wanted](core::Abi abi, int nr) { return wanted.count({static_cast<int>(abi), nr}) > 0; };
}

}  // namespace pwnbox::filters
