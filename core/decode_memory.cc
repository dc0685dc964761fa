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

constexpr CallHooks kHooks[] = {
    {.name = "mincore", .arg = MincoreArg},
    {.name = "process_madvise", .arg = ProcessMadviseArg},
    {.name = "mremap", .arg = MremapArg},
    {.name = "mmap", .arg = MmapArg},
    {.name = "membarrier", .arg = MembarrierArg, .ret = MembarrierRet},
};

}  // namespace

std::span<const CallHooks> MemoryHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
