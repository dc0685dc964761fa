// libFuzzer target for recorder::Reader: any bytes as a .pwnr file. The reader must return an
// error or events, never crash, hang or allocate without bound.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "recorder/format.h"
#include "recorder/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Chunks are checksummed, so mutated files rarely reach the event decoder: also feed the
  // bytes to it directly, as a chunk's decompressed content.
  {
    namespace format = pwnbox::recorder::format;
    format::Cursor c(std::string_view(reinterpret_cast<const char*>(data), size));
    pwnbox::recorder::Event e;
    format::EventCodec codec;
    codec.Reset(0);
    while (c.remaining() > 0 && codec.Decode(&c, &e)) {
    }
  }
  static const int fd = memfd_create("pwnr_fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto reader = pwnbox::recorder::Reader::Open(path);
  if (!reader.ok()) return 0;
  pwnbox::recorder::Event e;
  uint64_t last_seq = 0;
  for (int i = 0; i < 100000; ++i) {
    auto more = reader->Next(&e);
    if (!more.ok() || !*more) break;
    last_seq = e.seq;
  }
  // Seek back into the middle, through the index when the file has one.
  if (reader->Seek(last_seq / 2).ok()) {
    for (int i = 0; i < 1000; ++i) {
      auto more = reader->Next(&e);
      if (!more.ok() || !*more) break;
    }
  }
  return 0;
}
