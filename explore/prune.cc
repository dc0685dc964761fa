#include "explore/prune.h"

#include <dirent.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace pwnbox::explore {
namespace {

constexpr uint64_t kPrime = 0x100000001b3ULL;
constexpr size_t kMaxWritable = size_t{1} << 30;
constexpr size_t kMaxWriteBytes = 4096;

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif
struct RseqConfiguration {  // struct ptrace_rseq_configuration (Linux 5.13)
  uint64_t rseq_abi_pointer;
  uint32_t rseq_abi_size, signature, flags, pad;
};

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= kPrime;
  return h ^ (h >> 29);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Readlink(const std::string& path) {
  char buf[4096];
  const ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "?" + std::to_string(errno) : std::string(buf, static_cast<size_t>(n));
}

}  // namespace

void CallWindow::Fold(uint64_t v) { hash_ = Mix(hash_, v); }

void CallWindow::Entry(uint32_t arch, uint64_t nr, const uint64_t (&args)[6]) {
  pending_ = true;
  arch_ = arch;
  nr_ = nr;
  std::copy(std::begin(args), std::end(args), args_);
}

void CallWindow::Exit(pid_t tid, int64_t rval) {
  if (!pending_) return;
  pending_ = false;
  Fold(arch_);
  Fold(nr_);
  for (uint64_t a : args_) Fold(a);
  Fold(static_cast<uint64_t>(rval));
  const bool is_write = (arch_ == AUDIT_ARCH_X86_64 && (nr_ == 1 || nr_ == 18)) ||
                        (arch_ == AUDIT_ARCH_I386 && (nr_ == 4 || nr_ == 181));
  if (is_write && rval > 0) {
    // The bytes written (the buffer may be reused before the window's end).
    std::vector<char> buf(std::min<size_t>(static_cast<size_t>(rval), kMaxWriteBytes));
    uint64_t addr = args_[1];
    if (arch_ == AUDIT_ARCH_I386) addr &= 0xffffffffu;
    iovec local{buf.data(), buf.size()}, remote{reinterpret_cast<void*>(addr), buf.size()};
    const ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    Fold(static_cast<uint64_t>(n));
    for (ssize_t i = 0; i < n; ++i) Fold(static_cast<unsigned char>(buf[i]));
  }
  ++calls_;
}

void CallWindow::End(int wait_status) {
  if (pending_) {
    Fold(arch_);
    Fold(nr_);
    for (uint64_t a : args_) Fold(a);
    pending_ = false;
  }
  Fold(0xe11d);
  Fold(static_cast<uint64_t>(wait_status));
}

bool StartsOrReplacesProcess(uint32_t arch, uint64_t nr) {
  if (arch == AUDIT_ARCH_X86_64)
    return nr == 56 || nr == 57 || nr == 58 || nr == 59 || nr == 322 || nr == 435;
  if (arch == AUDIT_ARCH_I386)
    return nr == 2 || nr == 11 || nr == 120 || nr == 190 || nr == 358 || nr == 435;
  return true;  // an ABI the digest does not know: prove nothing
}

core::Result<TaskDigest> DigestTask(pid_t tid, const std::string& own_dir) {
  TaskDigest d;
  const std::string proc = "/proc/" + std::to_string(tid);
  user_regs_struct regs{};
  user_fpregs_struct fp{};
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_GETREGS)");
  if (ptrace(PTRACE_GETFPREGS, tid, 0, &fp) != 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_GETFPREGS)");
  d.regs.assign(reinterpret_cast<const char*>(&regs), sizeof regs);
  d.regs.append(reinterpret_cast<const char*>(&fp), sizeof fp);

  d.maps = ReadText(proc + "/maps");
  if (d.maps.empty()) return core::Error("cannot read " + proc + "/maps", ESRCH);

  // Open files: target, offset (not for the explorer's own output files) and flags; cwd.
  std::vector<int> fds;
  if (DIR* dir = opendir((proc + "/fd").c_str())) {
    while (dirent* e = readdir(dir))
      if (e->d_name[0] != '.') fds.push_back(atoi(e->d_name));
    closedir(dir);
  } else {
    return core::ErrnoError(errno, "opendir " + proc + "/fd");
  }
  std::sort(fds.begin(), fds.end());
  d.files = "cwd " + Readlink(proc + "/cwd") + "\n";
  for (int fd : fds) {
    const std::string n = std::to_string(fd);
    std::string target = Readlink(proc + "/fd/" + n);
    const bool own = !own_dir.empty() && target.rfind(own_dir + "/", 0) == 0;
    if (own) target = "output";
    d.files += n + " " + target;
    std::istringstream info(ReadText(proc + "/fdinfo/" + n));
    std::string line;
    while (std::getline(info, line))
      if ((line.rfind("pos:", 0) == 0 && !own) || line.rfind("flags:", 0) == 0)
        d.files += " " + line;
    d.files += "\n";
  }

  std::istringstream status(ReadText(proc + "/status"));
  std::string line;
  while (std::getline(status, line))
    for (const char* k : {"SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:"})
      if (line.rfind(k, 0) == 0) d.signals += line + "\n";

  // Writable memory, in 256 KiB reads.
  std::istringstream maps(d.maps);
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  size_t total = 0;
  while (std::getline(maps, line)) {
    uint64_t lo = 0, hi = 0;
    char perms[8] = {};
    if (sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[1] != 'w') continue;
    ranges.push_back({lo, hi});
    total += hi - lo;
  }
  if (total > kMaxWritable) return core::Error("more than 1 GiB of writable memory", EFBIG);
  // The task's rseq area is left out: the kernel writes the CPU it runs on there (cpu_id,
  // mm_cid), which says nothing of what the program does.
  RseqConfiguration rseq{};
  uint64_t rseq_lo = 0, rseq_hi = 0;
  if (ptrace(static_cast<__ptrace_request>(PTRACE_GET_RSEQ_CONFIGURATION), tid, sizeof rseq,
             &rseq) > 0 &&
      rseq.rseq_abi_pointer != 0) {
    rseq_lo = rseq.rseq_abi_pointer & ~uint64_t{7};
    rseq_hi = rseq.rseq_abi_pointer + std::max<uint32_t>(rseq.rseq_abi_size, 32);
  }
  std::vector<uint64_t> buf(256 * 1024 / 8);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (auto [lo, hi] : ranges) {
    h = Mix(h, lo);
    h = Mix(h, hi);
    for (uint64_t at = lo; at < hi;) {
      const size_t len = std::min<uint64_t>(hi - at, buf.size() * 8);
      iovec local{buf.data(), len}, remote{reinterpret_cast<void*>(at), len};
      const ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
      if (n <= 0) {
        // Unreadable (a guard page made writable-but-not-readable...): its address counts.
        h = Mix(h, ~at);
        at += 4096;
        continue;
      }
      const size_t words = static_cast<size_t>(n) / 8;
      if (rseq_hi > at && rseq_lo < at + static_cast<uint64_t>(n))
        for (uint64_t a = std::max(rseq_lo, at); a < std::min<uint64_t>(rseq_hi, at + n); a += 8)
          buf[(a - at) / 8] = 0;
      for (size_t i = 0; i < words; ++i) h = Mix(h, buf[i]);
      at += static_cast<uint64_t>(n);
    }
  }
  d.memory = h;
  return d;
}

std::string DigestDifference(const TaskDigest& a, const TaskDigest& b) {
  if (a.regs != b.regs) return "registers";
  if (a.maps != b.maps) return "mappings";
  if (a.files != b.files) return "open files";
  if (a.signals != b.signals) return "signal state";
  if (a.memory != b.memory) return "memory";
  return "";
}

}  // namespace pwnbox::explore
