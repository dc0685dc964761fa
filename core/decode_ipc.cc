#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <linux/mount.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/sem.h>

#include <algorithm>
#include <cstring>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

namespace {

bool DecodeMqAttr(Ctx& c, uint64_t addr, int, std::string* out) {
  struct mq_attr a;
  if (!Fetch(c, addr, &a)) return false;
  out->append("{mq_flags=");
  if (a.mq_flags & O_NONBLOCK) {
    out->append("O_NONBLOCK");
    if (a.mq_flags & ~static_cast<long>(O_NONBLOCK)) {
      out->push_back('|');
      AppendHex(out, static_cast<uint64_t>(a.mq_flags & ~static_cast<long>(O_NONBLOCK)));
    }
  } else {
    AppendHex(out, static_cast<uint64_t>(a.mq_flags));
  }
  out->append(", mq_maxmsg=");
  AppendDec(out, a.mq_maxmsg);
  out->append(", mq_msgsize=");
  AppendDec(out, a.mq_msgsize);
  out->append(", mq_curmsgs=");
  AppendDec(out, a.mq_curmsgs);
  out->push_back('}');
  return true;
}

bool DecodeSembuf(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const ArgSpec& spec = c.sig.args[idx];
  const uint64_t n = spec.len_arg >= 0 ? c.Arg(spec.len_arg) : 1;
  sembuf probe;
  if (n != 0 && !Fetch(c, addr, &probe)) return false;
  AppendArray(c, out, addr, n, sizeof(sembuf), [&](uint64_t a) {
    sembuf b;
    if (!Fetch(c, a, &b)) return false;
    out->append("{sem_num=");
    AppendUDec(out, b.sem_num);
    out->append(", sem_op=");
    AppendDec(out, b.sem_op);
    out->append(", sem_flg=");
    std::string flags;
    if (b.sem_flg & IPC_NOWAIT) flags.append("IPC_NOWAIT");
    if (b.sem_flg & SEM_UNDO) flags.append(flags.empty() ? "SEM_UNDO" : "|SEM_UNDO");
    const unsigned rest = static_cast<uint16_t>(b.sem_flg) & ~unsigned{IPC_NOWAIT | SEM_UNDO};
    if (rest != 0) {
      if (!flags.empty()) flags.push_back('|');
      AppendHex(&flags, rest);
    }
    out->append(flags.empty() ? "0" : flags);
    out->push_back('}');
    return true;
  });
  return true;
}

// landlock_create_ruleset's attr, as current strace prints it: the fields that `size` covers
// (handled_access_fs; handled_access_net since Linux 6.7; scoped since 6.12), "..." for bytes
// beyond the fields strace knows, the address for a size below the first field. (strace 6.1
// knows only handled_access_fs and prints "..." for the rest.)
bool DecodeLandlockRuleset(Ctx& c, uint64_t addr, int, std::string* out) {
  const uint64_t size = c.Arg(1);
  if (size < 8) return false;
  uint64_t attr[3] = {};
  if (!ReadAll(c.mem, addr, attr, std::min<uint64_t>(size, sizeof(attr)))) return false;
  out->append("{handled_access_fs=");
  AppendFlags(out, "landlock_access_fs", attr[0]);
  if (size > 8) {
    out->append(", handled_access_net=");
    AppendFlags(out, "landlock_access_net", attr[1]);
  }
  if (size > 16) {
    out->append(", scoped=");
    AppendFlags(out, "landlock_scope", attr[2]);
  }
  if (size > sizeof(attr)) out->append(", ...");
  out->push_back('}');
  return true;
}

// landlock_add_rule's rule_attr, by rule type: "{allowed_access=LANDLOCK_ACCESS_FS_READ_FILE,
// parent_fd=3}" (struct landlock_path_beneath_attr, packed: 12 bytes), "{allowed_access=
// LANDLOCK_ACCESS_NET_BIND_TCP, port=80}" (landlock_net_port_attr, Linux 6.7); another type:
// the address.
bool DecodeLandlockRuleAttr(Ctx& c, uint64_t addr, int, std::string* out) {
  const uint32_t type = static_cast<uint32_t>(c.Arg(1));
  if (type == LANDLOCK_RULE_PATH_BENEATH) {
    struct __attribute__((packed)) {
      uint64_t allowed_access;
      int32_t parent_fd;
    } a;
    if (!Fetch(c, addr, &a)) return false;
    out->append("{allowed_access=");
    AppendFlags(out, "landlock_access_fs", a.allowed_access);
    out->append(", parent_fd=");
    AppendFd(c, out, a.parent_fd);
    out->push_back('}');
    return true;
  }
  if (type == 2) {  // LANDLOCK_RULE_NET_PORT
    uint64_t a[2];
    if (!Fetch(c, addr, &a)) return false;
    out->append("{allowed_access=");
    AppendFlags(out, "landlock_access_net", a[0]);
    out->append(", port=");
    AppendUDec(out, a[1]);
    out->push_back('}');
    return true;
  }
  return false;
}

// bpf's attr for the map commands and the object paths, as strace 6.1 prints it: the
// command's first fields always (strace reads min(size, its union) into a zeroed buffer), the
// later ones when they start below `size`, and ", ..." when bytes past the command's struct and
// below `size` are not zero. Other commands: the address (strace decodes them too; left for
// later).
bool DecodeBpfAttr(Ctx& c, uint64_t addr, int, std::string* out) {
  const uint32_t cmd = static_cast<uint32_t>(c.Arg(0));
  const uint64_t size = static_cast<uint32_t>(c.Arg(2));
  uint8_t attr[72] = {};
  const uint64_t n = std::min<uint64_t>(size, sizeof(attr));
  if (n == 0 || !ReadAll(c.mem, addr, attr, n)) return false;
  auto u32 = [&](size_t off) {
    uint32_t v;
    memcpy(&v, attr + off, 4);
    return v;
  };
  auto u64 = [&](size_t off) {
    uint64_t v;
    memcpy(&v, attr + off, 8);
    return v;
  };
  // Appends ", name=" (no comma before the first field) when the field is printed: one of the
  // command's first fields (offset below `always`) or one that starts below size.
  bool first = true;
  size_t always = 0;
  auto field = [&](size_t off, const char* name) {
    if (off >= always && off >= size) return false;
    if (!first) out->append(", ");
    first = false;
    out->append(name);
    out->push_back('=');
    return true;
  };
  size_t end = 0;  // the end of the command's struct
  out->push_back('{');
  switch (cmd) {
    case BPF_MAP_CREATE:
      always = 16;
      end = 72;
      if (field(0, "map_type")) AppendEnum(out, "bpf_map_type", u32(0));
      if (field(4, "key_size")) AppendUDec(out, u32(4));
      if (field(8, "value_size")) AppendUDec(out, u32(8));
      if (field(12, "max_entries")) AppendUDec(out, u32(12));
      if (field(16, "map_flags")) AppendFlags(out, "bpf_map_flags", u32(16));
      if (field(20, "inner_map_fd")) AppendFd(c, out, static_cast<int32_t>(u32(20)));
      if ((u32(16) & BPF_F_NUMA_NODE) && field(24, "numa_node")) AppendUDec(out, u32(24));
      if (field(28, "map_name")) {
        const char* name = reinterpret_cast<const char*>(attr + 28);
        AppendQuoted(out, std::string_view(name, strnlen(name, 16)));
      }
      if (field(44, "map_ifindex")) AppendUDec(out, u32(44));
      if (field(48, "btf_fd")) AppendFd(c, out, static_cast<int32_t>(u32(48)));
      if (field(52, "btf_key_type_id")) AppendUDec(out, u32(52));
      if (field(56, "btf_value_type_id")) AppendUDec(out, u32(56));
      if (field(60, "btf_vmlinux_value_type_id")) AppendUDec(out, u32(60));
      if (field(64, "map_extra")) AppendUDec(out, u64(64));
      break;
    case BPF_MAP_LOOKUP_ELEM:
    case BPF_MAP_UPDATE_ELEM:
    case BPF_MAP_DELETE_ELEM:
    case BPF_MAP_GET_NEXT_KEY:
      always = cmd == BPF_MAP_DELETE_ELEM ? 16 : cmd == BPF_MAP_GET_NEXT_KEY ? 24 : 32;
      end = always;
      if (field(0, "map_fd")) AppendFd(c, out, static_cast<int32_t>(u32(0)));
      if (field(8, "key")) AppendAddr(out, u64(8));
      if (cmd == BPF_MAP_GET_NEXT_KEY) {
        if (field(16, "next_key")) AppendAddr(out, u64(16));
      } else if (cmd != BPF_MAP_DELETE_ELEM) {
        if (field(16, "value")) AppendAddr(out, u64(16));
        if (field(24, "flags")) {
          AppendEnum(out, cmd == BPF_MAP_LOOKUP_ELEM ? "bpf_lookup_flags" : "bpf_elem_flags",
                     u64(24));
        }
      }
      break;
    case BPF_OBJ_PIN:
    case BPF_OBJ_GET:
      always = 12;
      end = 16;
      if (field(0, "pathname")) AppendPath(c, out, u64(0));
      if (field(8, "bpf_fd")) AppendFd(c, out, static_cast<int32_t>(u32(8)));
      if (field(12, "file_flags")) AppendFlags(out, "bpf_file_flags", u32(12));
      break;
    default:
      out->pop_back();
      return false;
  }
  if (size > end) {
    uint8_t rest[256];
    for (uint64_t off = end; off < std::min<uint64_t>(size, 4096); off += sizeof(rest)) {
      const size_t len = std::min<uint64_t>(sizeof(rest), std::min<uint64_t>(size, 4096) - off);
      if (!ReadAll(c.mem, addr + off, rest, len)) break;
      if (std::any_of(rest, rest + len, [](uint8_t b) { return b != 0; })) {
        out->append(", ...");
        break;
      }
    }
  }
  out->push_back('}');
  return true;
}

// perf_event_open's attr as strace 6.1 prints it without -v: type, size, config (named for the
// hardware and software types, decimal for tracepoints, hex otherwise), sample_period or
// sample_freq, sample_type, read_format, the bit fields that are set (precise_ip always, with
// its meaning), __reserved_1 when set, then "...". A size below PERF_ATTR_SIZE_VER0 (other than
// 0, which the kernel reads as VER0): the address.
bool DecodePerfEventAttr(Ctx& c, uint64_t addr, int, std::string* out) {
  struct {
    uint32_t type;
    uint32_t size;
    uint64_t config;
    uint64_t sample;
    uint64_t sample_type;
    uint64_t read_format;
    uint64_t bits;
  } a;
  if (!Fetch(c, addr, &a)) return false;
  if (a.size != 0 && a.size < 64) return false;
  out->append("{type=");
  AppendEnum(out, "perf_type", a.type);
  out->append(", size=");
  AppendEnum(out, "perf_attr_size", a.size);
  out->append(", config=");
  if (a.type == 0) {
    AppendEnum(out, "perf_hw_id", a.config);
  } else if (a.type == 1) {
    AppendEnum(out, "perf_sw_id", a.config);
  } else if (a.type == 2) {
    AppendUDec(out, a.config);
  } else {
    AppendHex(out, a.config);
  }
  const bool freq = (a.bits >> 10) & 1;
  out->append(freq ? ", sample_freq=" : ", sample_period=");
  AppendUDec(out, a.sample);
  out->append(", sample_type=");
  AppendFlags(out, "perf_sample_type", a.sample_type);
  out->append(", read_format=");
  AppendFlags(out, "perf_read_format", a.read_format);
  static constexpr const char* kBits[38] = {
      "disabled", "inherit", "pinned", "exclusive", "exclude_user", "exclude_kernel",
      "exclude_hv", "exclude_idle", "mmap", "comm", "freq", "inherit_stat", "enable_on_exec",
      "task", "watermark", nullptr, nullptr, "mmap_data", "sample_id_all", "exclude_host",
      "exclude_guest", "exclude_callchain_kernel", "exclude_callchain_user", "mmap2",
      "comm_exec", "use_clockid", "context_switch", "write_backward", "namespaces", "ksymbol",
      "bpf_event", "aux_output", "cgroup", "text_poke", "build_id", "inherit_thread",
      "remove_on_exec", "sigtrap"};
  static constexpr const char* kSkid[4] = {"arbitrary skid", "constant skid",
                                           "requested to have 0 skid", "must have 0 skid"};
  for (int bit = 0; bit < 38; ++bit) {
    if (bit == 15) {
      const unsigned precise = (a.bits >> 15) & 3;
      out->append(", precise_ip=");
      AppendUDec(out, precise);
      out->append(" /* ");
      out->append(kSkid[precise]);
      out->append(" */");
      continue;
    }
    if (kBits[bit] == nullptr || ((a.bits >> bit) & 1) == 0) continue;
    out->append(", ");
    out->append(kBits[bit]);
    out->append("=1");
  }
  if ((a.bits >> 38) != 0) {
    out->append(", __reserved_1=");
    AppendHex(out, a.bits >> 38);
    out->append(" /* Bits 63..38 */");
  }
  out->append(", ...}");
  return true;
}

bool DecodeMountAttr(Ctx& c, uint64_t addr, int, std::string* out) {
  struct mount_attr a;
  if (!Fetch(c, addr, &a)) return false;
  // MOUNT_ATTR_RELATIME is 0: a zero field prints as 0.
  out->append("{attr_set=");
  if (a.attr_set == 0) {
    out->push_back('0');
  } else {
    AppendFlags(out, "mount_attr_flags", a.attr_set);
  }
  out->append(", attr_clr=");
  if (a.attr_clr == 0) {
    out->push_back('0');
  } else {
    AppendFlags(out, "mount_attr_flags", a.attr_clr);
  }
  out->append(", propagation=");
  AppendHex(out, a.propagation);
  out->append(", userns_fd=");
  AppendUDec(out, a.userns_fd);
  out->push_back('}');
  return true;
}

bool DecodeIoUringParams(Ctx& c, uint64_t addr, int, std::string* out) {
  io_uring_params p;
  if (!Fetch(c, addr, &p)) return false;
  out->append("{sq_entries=");
  AppendUDec(out, p.sq_entries);
  out->append(", cq_entries=");
  AppendUDec(out, p.cq_entries);
  out->append(", flags=");
  AppendFlags(out, "io_uring_setup_flags", p.flags);
  out->append(", sq_thread_cpu=");
  AppendUDec(out, p.sq_thread_cpu);
  out->append(", sq_thread_idle=");
  AppendUDec(out, p.sq_thread_idle);
  out->append(", features=");
  AppendFlags(out, "io_uring_features", p.features);
  out->append(", wq_fd=");
  AppendUDec(out, p.wq_fd);
  out->append(", ...}");
  return true;
}

// msgget/semget/shmget's flags: the IPC_* bits, then the permission bits in octal
// ("IPC_CREAT|IPC_EXCL|0600", "0600"), as strace's ipc flags.
ArgResult IpcGetArg(Ctx& c, int idx, std::string* out) {
  if (idx != c.sig.nargs - 1) return ArgResult::kGeneric;
  const uint32_t flags = static_cast<uint32_t>(c.Arg(idx));
  const bool shm = c.name == "shmget";
  constexpr int kHugeShift = 26;  // SHM_HUGE_SHIFT
  const uint32_t huge = shm ? (flags >> kHugeShift) & 0x3f : 0;
  const uint32_t bits = flags & ~0777u & ~(huge << kHugeShift);
  if (bits != 0) {
    AppendFlags(out, shm ? "shmget_flags" : "resource_flags", bits);
    out->push_back('|');
  }
  if (huge != 0) {
    AppendUDec(out, huge);
    out->append("<<SHM_HUGE_SHIFT|");
  }
  AppendOct(out, flags & 0777u);
  return ArgResult::kHandled;
}

// msgsnd's message: "{mtype=1, mtext="..."}" (msgsz bytes of text).
ArgResult MsgsndArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1 || c.Arg(1) == 0 || c.Compat()) return ArgResult::kGeneric;
  int64_t mtype;
  if (!Fetch(c, c.Arg(1), &mtype)) return ArgResult::kGeneric;
  out->append("{mtype=");
  AppendDec(out, mtype);
  out->append(", mtext=");
  AppendBuffer(c, out, c.Arg(1) + sizeof(mtype), c.Arg(2));
  out->push_back('}');
  return ArgResult::kHandled;
}

constexpr CallHooks kHooks[] = {
    {.name = "msgget", .arg = IpcGetArg},
    {.name = "semget", .arg = IpcGetArg},
    {.name = "shmget", .arg = IpcGetArg},
    {.name = "msgsnd", .arg = MsgsndArg},
};

constexpr StructDecoder kStructs[] = {
    {"mq_attr", DecodeMqAttr, false},
    {"sembuf", DecodeSembuf, true},
    {"landlock_ruleset_attr", DecodeLandlockRuleset, true},
    {"landlock_rule_attr", DecodeLandlockRuleAttr, true},
    {"bpf_attr", DecodeBpfAttr, true},
    {"perf_event_attr", DecodePerfEventAttr, true},
    {"mount_attr", DecodeMountAttr, true},
    {"io_uring_params", DecodeIoUringParams, true},
};

}  // namespace

std::span<const StructDecoder> IpcStructs() { return kStructs; }
std::span<const CallHooks> IpcHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
