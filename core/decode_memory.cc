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

constexpr CallHooks kHooks[] = {
    {.name = "mremap", .arg = MremapArg},
};

}  // namespace

std::span<const CallHooks> MemoryHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
