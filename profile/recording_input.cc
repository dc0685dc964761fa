// ReadRecording: the calls of a .pwnr recording. The recorder writes a call's entry (with the
// memory the decoder read, paths included) as one event and its exit as another; a call that
// never returns (exit_group, a task killed mid-call) has only the entry.
#include <linux/fcntl.h>

#include <cstring>
#include <map>

#include "profile/call.h"
#include "recorder/reader.h"
#include "recorder/recorded_memory.h"

namespace pwnbox::profile {

namespace {

// The NUL-terminated string at `addr` in the recorded entry memory; false when the recording
// does not hold all of it (NULL pointer, unreadable, or cut).
bool RecordedString(const std::vector<recorder::MemoryBlob>& mem, uint64_t addr, std::string* out) {
  if (addr == 0) return false;
  recorder::RecordedMemory rm(mem);
  std::string buf(4096, '\0');
  const ssize_t n = rm.Read(addr, buf.data(), buf.size());
  if (n <= 0) return false;
  const size_t len = strnlen(buf.data(), static_cast<size_t>(n));
  if (len == static_cast<size_t>(n)) return false;
  out->assign(buf.data(), len);
  return true;
}

// The call's path arguments as the program wrote them; relative ones named against the cwd
// (no dirfd, or AT_FDCWD) are joined to `cwd` when it is known.
std::vector<std::string> PathsOf(const recorder::Event& e, const core::SyscallSig& sig,
                                 const std::string& cwd) {
  std::vector<std::string> paths;
  for (int i = 0; i < sig.nargs && i < 6; ++i) {
    if (sig.args[i].kind != core::ArgKind::kPath) continue;
    std::string p;
    if (!RecordedString(e.entry_mem, e.args[i], &p)) continue;
    const bool has_dirfd = i > 0 && sig.args[i - 1].kind == core::ArgKind::kDirFd;
    const bool at_cwd =
        !has_dirfd || static_cast<int32_t>(static_cast<uint32_t>(e.args[i - 1])) == AT_FDCWD;
    if (!p.empty() && p[0] != '/' && at_cwd && !cwd.empty())
      p = (cwd.back() == '/' ? cwd : cwd + "/") + p;
    paths.push_back(std::move(p));
  }
  return paths;
}

Call FromEntry(const recorder::Event& e, const std::string& cwd) {
  Call c;
  c.abi = static_cast<core::Abi>(e.abi);
  c.nr = e.nr;
  c.name = std::string(core::SyscallName(e.nr, c.abi));
  c.pid = e.pid;
  std::memcpy(c.args, e.args, sizeof c.args);
  const core::SyscallSig& sig = core::Signature(c.name);
  c.known_args = c.name.empty() ? 0x3f : static_cast<uint8_t>((1u << std::min<int>(sig.nargs, 6)) - 1);
  if (!c.name.empty()) c.paths = PathsOf(e, sig, cwd);
  c.returned = e.returned;
  c.ret = e.ret;
  return c;
}

}  // namespace

core::Status ReadRecording(const std::string& path, const CallSink& sink) {
  PWNBOX_ASSIGN_OR_RETURN(recorder::Reader reader, recorder::Reader::Open(path));
  std::string cwd;
  if (auto it = reader.header().metadata.find("cwd"); it != reader.header().metadata.end())
    cwd = it->second;
  // Per task: the call whose entry was read and whose exit was not (yet).
  std::map<int32_t, std::pair<uint64_t, Call>> pending;  // pid -> (entry seq, call)
  auto flush = [&](int32_t pid) {
    auto it = pending.find(pid);
    if (it == pending.end()) return;
    sink(it->second.second);
    pending.erase(it);
  };
  recorder::Event e;
  while (true) {
    PWNBOX_ASSIGN_OR_RETURN(bool more, reader.Next(&e));
    if (!more) break;
    switch (e.kind) {
      case recorder::Event::Kind::kSyscall:
        if (!e.returned) {
          flush(e.pid);
          pending[e.pid] = {e.seq, FromEntry(e, cwd)};
        } else if (auto it = pending.find(e.pid); it != pending.end() && it->second.second.nr == e.nr) {
          it->second.second.returned = true;
          it->second.second.ret = e.ret;
          flush(e.pid);
        } else {
          // An exit whose entry is not in the file: the arguments are still the call's.
          flush(e.pid);
          sink(FromEntry(e, cwd));
        }
        break;
      case recorder::Event::Kind::kExec: {
        // A non-leader thread's execve returns in the leader's tid.
        const auto old_tid = static_cast<int32_t>(e.args[0]);
        if (old_tid != e.pid) {
          if (auto it = pending.find(old_tid); it != pending.end()) {
            flush(e.pid);
            pending[e.pid] = std::move(it->second);
            pending.erase(old_tid);
          }
        }
        break;
      }
      case recorder::Event::Kind::kExit:
        flush(e.pid);
        break;
      default:
        break;
    }
  }
  // Calls that never returned, in the order they were made.
  std::vector<std::pair<uint64_t, Call>> rest;
  for (auto& [pid, p] : pending) rest.push_back(std::move(p));
  std::sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [seq, c] : rest) sink(c);
  return core::Status::Ok();
}

}  // namespace pwnbox::profile
