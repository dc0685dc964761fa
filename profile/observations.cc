// Observations: the calls of several runs, merged per (ABI, syscall); ReadInput picks the reader.
#include <algorithm>
#include <cstring>
#include <fstream>

#include "profile/profile.h"

namespace pwnbox::profile {

namespace {

// Counts `v` in `m` unless `m` is full and does not hold it yet (then sets `*overflow`).
template <typename K>
void CountCapped(std::map<K, uint64_t>& m, const K& v, bool* overflow, size_t cap) {
  auto it = m.find(v);
  if (it != m.end()) {
    ++it->second;
  } else if (m.size() < cap) {
    m.emplace(v, 1);
  } else {
    *overflow = true;
  }
}

}  // namespace

core::Status ReadInput(const std::string& path, const CallSink& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::ErrnoError(errno, path);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  if (in.gcount() == 4 && std::memcmp(magic, "PWNR", 4) == 0) return ReadRecording(path, sink);
  return ReadStraceLog(path, sink);
}

void Observations::Add(const std::string& run, const Call& call) {
  std::string name = call.name;
  if (name.empty() && call.nr >= 0) name = std::string(core::SyscallName(call.nr, call.abi));
  if (name.empty()) return;  // a number no table knows: nothing a policy could name
  if (std::find(runs_.begin(), runs_.end(), run) == runs_.end()) runs_.push_back(run);
  ++total_;
  Usage& u = usage_[{call.abi, name}];
  ++u.per_run[run];
  ++u.calls;
  for (int i = 0; i < 6; ++i) {
    if (call.Known(i))
      CountCapped(u.values[i], call.args[i], &u.overflow[i], kMaxValues);
    else
      ++u.unknown[i];
  }
  if (call.Known(0) && call.Known(1))
    CountCapped(u.pairs, std::make_pair(call.args[0], call.args[1]), &u.pairs_overflow, kMaxValues);
  for (const auto& p : call.paths) ++u.paths[p];
  if (call.returned && call.ret >= 0) ++u.succeeded;
}

core::Status Observations::AddFile(const std::string& path, const std::string& run) {
  // A run that made no call still counts as a run (its comments and header name it).
  if (std::find(runs_.begin(), runs_.end(), run) == runs_.end()) runs_.push_back(run);
  return ReadInput(path, [&](const Call& c) { Add(run, c); });
}

}  // namespace pwnbox::profile
