#include <cstdio>
#include <sys/mman.h>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

namespace {

// mremap's fifth argument exists only with MREMAP_FIXED or MREMAP_DONTUNMAP.
ArgResult MremapArg(Ctx& c, int idx, std::string*) {
  if (idx != 4) return ArgResult::kGeneric;
  constexpr uint64_t kDontUnmap = 4;  // MREMAP_DONTUNMAP, missing from older headers
  return (c.Arg(3) & (MREMAP_FIXED | kDontUnmap)) ? ArgResult::kGeneric : ArgResult::kOmit;
}

// mmap's flags: the MAP_HUGE_* page size field (6 bits at MAP_HUGE_SHIFT) last, as strace's
// "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT".
ArgResult MmapArg(Ctx& c, int idx, std::string* out) {
  if (idx != 3) return ArgResult::kGeneric;
  constexpr int kHugeShift = 26;  // MAP_HUGE_SHIFT
  constexpr uint64_t kHugeMask = uint64_t{0x3f} << kHugeShift;
  const uint64_t flags = c.UArg(idx);
  const uint64_t huge = (flags & kHugeMask) >> kHugeShift;
  AppendFlags(out, "mmap_flags", flags & ~kHugeMask);
  if (huge != 0) {
    out->push_back('|');
    AppendUDec(out, huge);
    out->append("<<MAP_HUGE_SHIFT");
  }
  return ArgResult::kHandled;
}

// membarrier(cmd, flags[, cpu_id]): cpu_id only with MEMBARRIER_CMD_FLAG_CPU; the result of
// MEMBARRIER_CMD_QUERY is the set of commands, "0x3ff (MEMBARRIER_CMD_GLOBAL|...)".
constexpr uint64_t kMembarrierFlagCpu = 1;
ArgResult MembarrierArg(Ctx& c, int idx, std::string* out) {
  if (idx == 1) {
    const uint64_t flags = c.UArg(1);
    if (flags == 0) {
      out->push_back('0');
    } else if (flags == kMembarrierFlagCpu) {
      out->append("MEMBARRIER_CMD_FLAG_CPU");
    } else {
      if (flags & kMembarrierFlagCpu) out->append("MEMBARRIER_CMD_FLAG_CPU|");
      AppendHex(out, flags & ~kMembarrierFlagCpu);
      if (!(flags & kMembarrierFlagCpu)) out->append(" /* MEMBARRIER_CMD_FLAG_??? */");
    }
    return ArgResult::kHandled;
  }
  if (idx == 2 && !(c.UArg(1) & kMembarrierFlagCpu)) return ArgResult::kOmit;
  return ArgResult::kGeneric;
}

bool MembarrierRet(Ctx& c, std::string* out) {
  if (c.UArg(0) != 0 || c.call.ret == 0) return false;  // not MEMBARRIER_CMD_QUERY
  AppendHex(out, static_cast<uint64_t>(c.call.ret));
  out->append(" (");
  const Xlat* x = CachedXlat("membarrier_cmd");
  out->append(x != nullptr ? FormatFlags(*x, static_cast<uint64_t>(c.call.ret)) : "");
  out->push_back(')');
  return true;
}

// process_madvise's iovec: the ranges' addresses (strace never reads them as data).
ArgResult ProcessMadviseArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1 || c.Arg(1) == 0) return ArgResult::kGeneric;
  if (!AppendIovec(c, c.Arg(1), c.UArg(2), UINT64_MAX, out, /*addr_only=*/true)) {
    return ArgResult::kGeneric;
  }
  return ArgResult::kHandled;
}

// mincore's vector, at exit: one byte per page, "[1, 0, 1]".
ArgResult MincoreArg(Ctx& c, int idx, std::string* out) {
  if (idx != 2 || !c.exiting || c.Failed() || c.Arg(2) == 0) return ArgResult::kGeneric;
  const uint64_t pages = (c.Arg(1) + 4095) / 4096;
  uint8_t first;
  if (pages != 0 && !Fetch(c, c.Arg(2), &first)) return ArgResult::kGeneric;
  AppendArray(c, out, c.Arg(2), pages, 1, [&](uint64_t a) {
    uint8_t b;
    if (!Fetch(c, a, &b)) return false;
    AppendUDec(out, b);
    return true;
  });
  return ArgResult::kHandled;
}

// modify_ldt's ptr, as strace 6.1 prints it: a struct user_desc when bytecount is exactly its
// size (16), whatever func, else the address: "{entry_number=9000, base_addr=0x001000,
// limit=0x0fffff, seg_32bit=1, contents=2, read_exec_only=0, limit_in_pages=0,
// seg_not_present=0, useable=1, lm=0}" (strace's "%#08x": 0 is "00000000").
ArgResult ModifyLdtArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1 || c.Arg(1) == 0 || c.Arg(2) != 16) return ArgResult::kGeneric;
  struct {
    uint32_t entry_number;
    uint32_t base_addr;
    uint32_t limit;
    uint32_t bits;
  } d;
  if (!Fetch(c, c.Arg(1), &d)) return ArgResult::kGeneric;
  char text[256];
  snprintf(text, sizeof(text),
           "{entry_number=%u, base_addr=%#08x, limit=%#08x, seg_32bit=%u, contents=%u, "
           "read_exec_only=%u, limit_in_pages=%u, seg_not_present=%u, useable=%u, lm=%u}",
           d.entry_number, d.base_addr, d.limit, d.bits & 1, (d.bits >> 1) & 3,
           (d.bits >> 3) & 1, (d.bits >> 4) & 1, (d.bits >> 5) & 1, (d.bits >> 6) & 1,
           (d.bits >> 7) & 1);
  out->append(text);
  return ArgResult::kHandled;
}

// The kernel returns modify_ldt's int zero-extended: an error reaches the tracer as 4294967274,
// which strace prints with the errno's name ("4294967274 EINVAL (Invalid argument)").
bool ModifyLdtRet(Ctx& c, std::string* out) {
  const uint64_t r = static_cast<uint64_t>(c.call.ret);
  if (c.Compat() || r < 0xfffff001ULL || r > 0xffffffffULL) return false;
  std::string err;
  AppendError(&err, static_cast<int>(-static_cast<int32_t>(r)));  // "-1 EINVAL (...)"
  AppendUDec(out, r);
  out->append(err.substr(err.find(' ')));
  return true;
}

constexpr CallHooks kHooks[] = {
    {.name = "mincore", .arg = MincoreArg},
    {.name = "modify_ldt", .arg = ModifyLdtArg, .ret = ModifyLdtRet},
    {.name = "process_madvise", .arg = ProcessMadviseArg},
    {.name = "mremap", .arg = MremapArg},
    {.name = "mmap", .arg = MmapArg},
    {.name = "membarrier", .arg = MembarrierArg, .ret = MembarrierRet},
};

}  // namespace

std::span<const CallHooks> MemoryHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
