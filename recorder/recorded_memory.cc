#include "recorder/recorded_memory.h"

#include <algorithm>
#include <cstring>

namespace pwnbox::recorder {

ssize_t RecordedMemory::Read(uint64_t addr, void* buf, size_t len) {
  auto* out = static_cast<char*>(buf);
  size_t done = 0;
  while (done < len) {
    const uint64_t at = addr + done;
    if (at < addr) break;  // wrapped around
    // The blob covering `at` that reaches farthest.
    const MemoryBlob* best = nullptr;
    for (const MemoryBlob& b : blobs_) {
      if (at >= b.addr && at - b.addr < b.bytes.size() &&
          (best == nullptr || b.addr + b.bytes.size() > best->addr + best->bytes.size())) {
        best = &b;
      }
    }
    if (best == nullptr) break;
    const size_t off = at - best->addr;
    const size_t n = std::min(len - done, best->bytes.size() - off);
    std::memcpy(out + done, best->bytes.data() + off, n);
    done += n;
  }
  if (done == 0 && len > 0) return -1;
  return static_cast<ssize_t>(done);
}

ssize_t CapturingMemory::Read(uint64_t addr, void* buf, size_t len) {
  const ssize_t n = inner_.Read(addr, buf, len);
  if (n > 0) {
    out_->push_back(MemoryBlob{addr, std::string(static_cast<const char*>(buf),
                                                 static_cast<size_t>(n))});
  }
  return n;
}

ssize_t CapturingMemory::ReadStringBytes(uint64_t addr, void* buf, size_t len) {
  const ssize_t n = inner_.Read(addr, buf, len);
  if (n > 0) {
    const auto* p = static_cast<const char*>(buf);
    const void* nul = std::memchr(p, 0, static_cast<size_t>(n));
    const size_t keep = nul ? static_cast<size_t>(static_cast<const char*>(nul) - p) + 1
                            : static_cast<size_t>(n);
    out_->push_back(MemoryBlob{addr, std::string(p, keep)});
  }
  return n;
}

}  // namespace pwnbox::recorder
