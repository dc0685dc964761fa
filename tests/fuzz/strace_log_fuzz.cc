// libFuzzer target for the strace-log reader (`pwnbox profile LOG`): any bytes as an
// `strace -f -o` log. It must return calls or a one-line FILE:LINE error without control
// characters, never crash or hang.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "profile/call.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("strace_log_fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  size_t calls = 0;
  auto status = pwnbox::profile::ReadStraceLog(path, [&calls](const pwnbox::profile::Call& c) {
    ++calls;
    if (c.name.empty() && c.nr >= 0) __builtin_trap();  // a call has a name
  });
  // An error is one `pwnbox:` line that may quote the log: no control characters in it (a log
  // line holding terminal escapes must not reach the terminal through the message).
  if (!status.ok()) {
    for (unsigned char c : status.error().message()) {
      if (c < 0x20 || c == 0x7f) {
        std::fprintf(stderr, "control character %d in the error: %s\n", c,
                     status.error().message().c_str());
        abort();
      }
    }
  }
  return 0;
}
