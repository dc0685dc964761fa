// libFuzzer target for recorder::Reader and the decoder behind `show`/`diff`: any bytes as a
// .pwnr file. The reader must return an error or events, never crash, hang or allocate without
// bound; every event it returns must decode (core::Decoder over the recorded memory, as `show`
// and `diff` do) without reading out of bounds.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/decoder.h"
#include "recorder/format.h"
#include "recorder/reader.h"
#include "recorder/recorded_memory.h"

namespace {

using pwnbox::recorder::Event;

// Decodes `e` as `show` does: entry with its entry memory, exit with its exit memory.
void Decode(const Event& e, const pwnbox::core::Decoder& decoder) {
  switch (e.kind) {
    case Event::Kind::kSyscall: {
      pwnbox::core::SyscallCall call;
      call.pid = e.pid;
      call.abi = static_cast<pwnbox::core::Abi>(e.abi);  // the reader checked the byte
      call.nr = e.nr;
      std::memcpy(call.args, e.args, sizeof call.args);
      pwnbox::core::DecodedCall d;
      pwnbox::recorder::RecordedMemory entry(e.entry_mem);
      decoder.Entry(call, entry, &d);
      call.ret = e.ret;
      pwnbox::recorder::RecordedMemory exit(e.exit_mem);
      decoder.Exit(call, exit, &d);
      (void)d.Line();
      break;
    }
    case Event::Kind::kSignal: {
      siginfo_t si{};
      std::memcpy(&si, e.data.data(), std::min(e.data.size(), sizeof si));
      (void)pwnbox::core::FormatSiginfo(si);
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const pwnbox::core::Decoder decoder(pwnbox::core::DecodeOptions{});
  static const pwnbox::core::Decoder short_strings([] {
    pwnbox::core::DecodeOptions o;
    o.string_limit = 4;
    return o;
  }());
  // Chunks are checksummed, so mutated files rarely reach the event decoder: also feed the
  // bytes to it directly, as a chunk's decompressed content.
  {
    namespace format = pwnbox::recorder::format;
    format::Cursor c(std::string_view(reinterpret_cast<const char*>(data), size));
    Event e;
    format::EventCodec codec;
    codec.Reset(0);
    for (int i = 0; i < 64 && c.remaining() > 0 && codec.Decode(&c, &e); ++i) {
      Decode(e, (i & 1) ? short_strings : decoder);
    }
  }
  static const int fd = memfd_create("pwnr_fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto reader = pwnbox::recorder::Reader::Open(path);
  if (!reader.ok()) return 0;
  Event e;
  uint64_t last_seq = 0;
  for (int i = 0; i < 100000; ++i) {
    auto more = reader->Next(&e);
    if (!more.ok() || !*more) break;
    if (i < 256) Decode(e, decoder);
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
