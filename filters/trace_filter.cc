#include "filters/trace_filter.h"

#include <seccomp.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "filters/internal.h"

namespace pwnbox::filters {

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
  if (!selection.all) {
    std::set<std::string> names(selection.names.begin(), selection.names.end());
    auto add = [&](const std::string& name, uint32_t action) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) return;  // absent in every ABI we filter
      // Adds the rule for each ABI that has the syscall; libseccomp skips the others.
      seccomp_rule_add(ctx.get(), action, nr, 0);
    };
    for (const auto& name : names) add(name, SCMP_ACT_TRACE(0));
    for (const auto& name : always)
      if (!names.count(name)) add(name, SCMP_ACT_TRACE(kTraceHidden));
    // Numbers are x86_64 numbers: traced by name, so the other ABIs' same call stops too.
    for (int nr : selection.numbers) {
      char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
      if (!name) return core::Error("no x86_64 syscall has number " + std::to_string(nr));
      std::string n(name);
      free(name);
      if (!names.count(n)) add(n, SCMP_ACT_TRACE(0));
    }
  }
  return internal::ExportBpf(ctx.get());
}

}  // namespace pwnbox::filters
