// pwnbox::recorder::RecordedMemory and CapturingMemory: target memory as a recording holds it.
//
// While tracing, CapturingMemory wraps the live task's memory and keeps a copy of every byte the
// decoder read; the recorder stores those blobs with the event. When showing a recording,
// RecordedMemory serves the decoder the same bytes, so it decodes the recorded call exactly as
// it decoded the live one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "core/decoder.h"
#include "recorder/event.h"

namespace pwnbox::recorder {

// Reads from recorded blobs. A read succeeds where a blob covers `addr`; like ProcessMemory it
// returns the bytes up to the end of the covered range (blobs that touch or overlap extend the
// range), or -1 when no blob covers `addr`. Does not own the blobs: they must outlive it.
class RecordedMemory final : public core::TargetMemory {
 public:
  explicit RecordedMemory(const std::vector<MemoryBlob>& blobs) : blobs_(blobs) {}
  ssize_t Read(uint64_t addr, void* buf, size_t len) override;

 private:
  const std::vector<MemoryBlob>& blobs_;
};

// Forwards reads to `inner` and appends what each successful read returned to `*out` as one
// blob (for string reads, only the bytes up to and including the NUL: the rest of the chunk the
// decoder read is not part of the call). Does not own `inner` or `out`.
class CapturingMemory final : public core::TargetMemory {
 public:
  CapturingMemory(core::TargetMemory& inner, std::vector<MemoryBlob>* out)
      : inner_(inner), out_(out) {}
  ssize_t Read(uint64_t addr, void* buf, size_t len) override;
  ssize_t ReadStringBytes(uint64_t addr, void* buf, size_t len) override;

 private:
  core::TargetMemory& inner_;
  std::vector<MemoryBlob>* out_;
};

}  // namespace pwnbox::recorder
