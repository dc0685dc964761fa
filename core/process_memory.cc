#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/decoder.h"

namespace pwnbox::core {

namespace {

ssize_t ReadProcMem(pid_t pid, uint64_t addr, void* buf, size_t len) {
  char path[40];
  snprintf(path, sizeof(path), "/proc/%d/mem", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, static_cast<char*>(buf) + done, len - done,
                      static_cast<off_t>(addr + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += n;
  }
  close(fd);
  return done == 0 && len != 0 ? -1 : static_cast<ssize_t>(done);
}

}  // namespace

ssize_t ProcessMemory::Read(uint64_t addr, void* buf, size_t len) {
  if (len == 0) return 0;
  iovec local{buf, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
  if (n >= 0) return n;
  if (errno == EFAULT || errno == ESRCH) return -1;
  // ENOSYS or EPERM (e.g. a seccomp filter or YAMA): /proc/PID/mem still works for a tracer.
  return ReadProcMem(pid_, addr, buf, len);
}

}  // namespace pwnbox::core
