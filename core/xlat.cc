#include "core/xlat.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "core/syscalls.h"

namespace pwnbox::core {
namespace {

// Tables whose low bits are a field holding one value rather than independent bits.
struct FieldSpec {
  std::string_view table;
  uint64_t mask;
  bool last;                     // printed after the flags (clone's exit signal)
  std::string_view value_table;  // table naming the field's values ("" = this table)
  const char* unknown = nullptr;  // comment after a value no entry names ("MAP_???")
  bool bits = false;  // a value no entry names is printed as the entries' bits (statx)
};

constexpr FieldSpec kFields[] = {
    {"open_flags", O_ACCMODE, false, ""},
    {"mq_open_flags", O_ACCMODE, false, ""},
    {"mmap_flags", 0x0f, false, "", "MAP_???"},
    {"socket_type", 0x0f, false, ""},
    {"personality", 0xff, false, ""},
    {"clone_flags", 0xff, true, "signals"},
    {"statx_flags", AT_STATX_SYNC_TYPE, false, "", nullptr, true},
    {"fanotify_init_flags", 0x0c, false, "", "FAN_CLASS_???"},
};

const FieldSpec* FindField(std::string_view table) {
  for (const FieldSpec& f : kFields) {
    if (f.table == table) return &f;
  }
  return nullptr;
}

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%#" PRIx64, v);
  return buf;
}

void Append(std::string& out, std::string_view part) {
  if (part.empty()) return;
  if (!out.empty()) out += '|';
  out += part;
}

const XlatEntry* Exact(const Xlat& table, uint64_t value) {
  for (const XlatEntry& e : table.entries) {
    if (e.value == value) return &e;
  }
  return nullptr;
}

// Bare constants that belong to no table but appear in policies and traces.
struct Bare {
  const char* name;
  uint64_t value;
};
constexpr Bare kBare[] = {
    {"AT_FDCWD", static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD))},
    {"STDIN_FILENO", STDIN_FILENO},
    {"STDOUT_FILENO", STDOUT_FILENO},
    {"STDERR_FILENO", STDERR_FILENO},
    {"S_IRWXU", S_IRWXU},
    {"S_IRUSR", S_IRUSR},
    {"S_IWUSR", S_IWUSR},
    {"S_IXUSR", S_IXUSR},
    {"S_IRWXG", S_IRWXG},
    {"S_IRGRP", S_IRGRP},
    {"S_IWGRP", S_IWGRP},
    {"S_IXGRP", S_IXGRP},
    {"S_IRWXO", S_IRWXO},
    {"S_IROTH", S_IROTH},
    {"S_IWOTH", S_IWOTH},
    {"S_IXOTH", S_IXOTH},
    {"S_IFMT", S_IFMT},
    {"SIGRTMAX", 64},
    {"RLIM_INFINITY", RLIM_INFINITY},
    {"IPC_PRIVATE", 0},
    {"NULL", 0},
};

using ConstantMap = std::unordered_map<std::string_view, uint64_t>;

const ConstantMap& Constants() {
  static const ConstantMap* const map = [] {
    auto* m = new ConstantMap;
    for (const Xlat* t : AllXlats()) {
      for (const XlatEntry& e : t->entries) m->emplace(e.name, e.value);
    }
    for (const Bare& b : kBare) m->emplace(b.name, b.value);
    return m;
  }();
  return *map;
}

}  // namespace

const Xlat* FindXlat(std::string_view table) {
  for (const Xlat* t : AllXlats()) {
    if (t->name == table) return t;
  }
  return nullptr;
}

std::string FormatFlags(const Xlat& table, uint64_t value) {
  std::string out;
  const FieldSpec* field = FindField(table.name);
  uint64_t mask = field ? field->mask : 0;
  std::string field_str;
  if (field) {
    uint64_t fv = value & mask;
    if (!field->value_table.empty()) {
      if (fv != 0) {
        const Xlat* vt = FindXlat(field->value_table);
        field_str = vt ? FormatEnum(*vt, fv) : std::to_string(fv);
      }
    } else {
      const XlatEntry* e = nullptr;
      for (const XlatEntry& cand : table.entries) {
        if ((cand.value & ~mask) == 0 && cand.value == fv) {
          e = &cand;
          break;
        }
      }
      if (e) {
        field_str = e->name;
      } else if (field->bits) {
        uint64_t left = fv;
        for (const XlatEntry& cand : table.entries) {
          if (cand.value != 0 && (cand.value & ~mask) == 0 && (left & cand.value) == cand.value) {
            Append(field_str, cand.name);
            left &= ~cand.value;
          }
        }
        if (left != 0) Append(field_str, Hex(left));
      } else if (fv != 0) {
        field_str = Hex(fv);
        if (field->unknown != nullptr) field_str += std::string(" /* ") + field->unknown + " */";
      }
    }
    if (!field->last) Append(out, field_str);
  } else if (value == 0) {
    const XlatEntry* zero = Exact(table, 0);
    return zero ? zero->name : "0";
  }
  uint64_t rest = value & ~mask;
  for (const XlatEntry& e : table.entries) {
    if (rest == 0) break;
    if (e.value == 0 || (e.value & mask) != 0) continue;
    if ((rest & e.value) == e.value) {
      Append(out, e.name);
      rest &= ~e.value;
    }
  }
  const bool named = !out.empty() || (field && field->last && !field_str.empty());
  if (rest != 0) Append(out, Hex(rest));
  if (field && field->last) Append(out, field_str);
  if (out.empty()) return "0";
  if (!named) {
    const std::string unknown = UnknownName(table);
    if (!unknown.empty()) out += " /* " + unknown + " */";
  }
  return out;
}

std::string UnknownName(const Xlat& table) {
  if (table.unknown != nullptr) return table.unknown;
  if (table.entries.empty()) return "";
  // The entries' common prefix, up to its last '_': FSOPEN_CLOEXEC -> "FSOPEN_???".
  std::string_view prefix = table.entries[0].name;
  for (const XlatEntry& e : table.entries) {
    std::string_view n = e.name;
    size_t i = 0;
    while (i < prefix.size() && i < n.size() && prefix[i] == n[i]) ++i;
    prefix = prefix.substr(0, i);
  }
  const size_t us = prefix.rfind('_');
  if (us == std::string_view::npos || us == 0) return "";
  return std::string(prefix.substr(0, us + 1)) + "???";
}

std::string FormatEnum(const Xlat& table, uint64_t value) {
  if (const XlatEntry* e = Exact(table, value)) return e->name;
  std::string_view name = table.name;
  if (name == "futex_op" && (value & FUTEX_CLOCK_REALTIME)) {
    if (const XlatEntry* e = Exact(table, value & ~uint64_t{FUTEX_CLOCK_REALTIME})) {
      return std::string(e->name) + "|FUTEX_CLOCK_REALTIME";
    }
  }
  if (name == "syslog_action" || name == "key_spec") {  // strace's printxval_d
    std::string out = name == "key_spec" ? std::to_string(static_cast<int32_t>(value))
                                         : std::to_string(static_cast<int64_t>(value));
    if (name == "syslog_action") out += " /* " + UnknownName(table) + " */";
    return out;
  }
  if (name == "signals") {  // strace's sprintsigname: SIGRT_N, or the number in decimal
    if (value > 32 && value <= 64) return "SIGRT_" + std::to_string(value - 32);
    return std::to_string(static_cast<int64_t>(value));
  }
  std::string out = Hex(value);
  const std::string unknown = UnknownName(table);
  if (!unknown.empty()) out += " /* " + unknown + " */";
  return out;
}

std::optional<uint64_t> ConstantValue(std::string_view name) {
  const ConstantMap& m = Constants();
  if (auto it = m.find(name); it != m.end()) return it->second;
  if (auto err = ErrnoFromName(name)) return static_cast<uint64_t>(*err);
  if (name.starts_with("SIGRT_")) {
    std::string_view n = name.substr(6);
    int v = 0;
    if (n.empty() || n.size() > 2) return std::nullopt;
    for (char c : n) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (v >= 1 && v <= 32) return static_cast<uint64_t>(32 + v);
  }
  return std::nullopt;
}

std::vector<std::string> SuggestConstants(std::string_view name) {
  struct Cand {
    int dist;
    std::string_view name;
  };
  std::vector<Cand> cands;
  int limit = std::max<int>(2, static_cast<int>(name.size()) / 4);
  auto consider = [&](std::string_view c) {
    int d = EditDistance(name, c);
    if (d <= limit) cands.push_back({d, c});
  };
  for (const auto& [n, v] : Constants()) consider(n);
  for (int e = 1; e < 4096; ++e) {
    std::string_view n = ErrnoName(e);
    if (!n.empty()) consider(n);
  }
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) {
    return a.dist != b.dist ? a.dist < b.dist : a.name < b.name;
  });
  std::vector<std::string> out;
  for (const Cand& c : cands) {
    if (out.size() == 3) break;
    if (std::find(out.begin(), out.end(), c.name) == out.end()) out.emplace_back(c.name);
  }
  return out;
}

}  // namespace pwnbox::core
