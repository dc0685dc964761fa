// errno names and texts: glibc's own (strerrorname_np / strerrordesc_np, untranslated), plus the
// kernel-internal restart codes that only a tracer sees, with strace's texts.
#include <string.h>

#include <array>
#include <string>
#include <unordered_map>

#include "core/syscalls.h"

namespace pwnbox::core {
namespace {

constexpr int kMaxErrno = 4095;

struct KernelErrno {
  int value;
  const char* name;
  const char* text;  // nullptr: "Unknown error N" as strace's strerror fallback prints it
};

constexpr KernelErrno kKernelErrnos[] = {
    {512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"},
    {513, "ERESTARTNOINTR", "To be restarted"},
    {514, "ERESTARTNOHAND", "To be restarted if no handler"},
    {515, "ENOIOCTLCMD", nullptr},
    {516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"},
    {517, "EPROBE_DEFER", nullptr},
    {518, "EOPENSTALE", nullptr},
    {519, "ENOPARAM", nullptr},
    {521, "EBADHANDLE", nullptr},
    {522, "ENOTSYNC", nullptr},
    {523, "EBADCOOKIE", nullptr},
    {524, "ENOTSUPP", nullptr},
    {525, "ETOOSMALL", nullptr},
    {526, "ESERVERFAULT", nullptr},
    {527, "EBADTYPE", nullptr},
    {528, "EJUKEBOX", nullptr},
    {529, "EIOCBQUEUED", nullptr},
    {530, "ERECALLCONFLICT", nullptr},
    {531, "ENOGRACE", nullptr},
};

struct ErrnoTable {
  std::array<std::string_view, kMaxErrno + 1> names{};
  std::array<std::string, kMaxErrno + 1> texts{};
  std::unordered_map<std::string_view, int> by_name;
};

const ErrnoTable& Table() {
  static const ErrnoTable* const table = [] {
    auto* t = new ErrnoTable;
    for (int e = 1; e < 512; ++e) {
      const char* name = strerrorname_np(e);
      const char* text = strerrordesc_np(e);
      if (name == nullptr || text == nullptr) continue;
      t->names[e] = name;
      t->texts[e] = text;
      t->by_name.emplace(name, e);
    }
    for (const KernelErrno& k : kKernelErrnos) {
      t->names[k.value] = k.name;
      t->texts[k.value] = k.text ? k.text : "Unknown error " + std::to_string(k.value);
      t->by_name.emplace(k.name, k.value);
    }
    // Aliases glibc maps to the same number; the canonical name is the one printed.
    t->by_name.emplace("EWOULDBLOCK", EWOULDBLOCK);
    t->by_name.emplace("EDEADLOCK", EDEADLOCK);
    t->by_name.emplace("ENOTSUP", ENOTSUP);
    return t;
  }();
  return *table;
}

}  // namespace

std::string_view ErrnoName(int err) {
  if (err <= 0 || err > kMaxErrno) return {};
  return Table().names[err];
}

std::string_view ErrnoText(int err) {
  if (err <= 0 || err > kMaxErrno) return {};
  return Table().texts[err];
}

std::optional<int> ErrnoFromName(std::string_view name) {
  const auto& m = Table().by_name;
  if (auto it = m.find(name); it != m.end()) return it->second;
  return std::nullopt;
}

}  // namespace pwnbox::core
