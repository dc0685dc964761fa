#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

namespace {

bool DecodePollfd(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const ArgSpec& spec = c.sig.args[idx];
  const uint64_t n = spec.len_arg >= 0 ? c.Arg(spec.len_arg) : 1;
  pollfd probe;
  if (n != 0 && !Fetch(c, addr, &probe)) return false;
  AppendArray(c, out, addr, n, sizeof(pollfd), [&](uint64_t a) {
    pollfd p;
    if (!Fetch(c, a, &p)) return false;
    out->append("{fd=");
    AppendFd(c, out, p.fd);
    if (p.fd >= 0) {  // strace leaves out the events of an ignored entry
      out->append(", events=");
      AppendFlags(out, "poll_events", static_cast<uint16_t>(p.events));
    }
    out->push_back('}');
    return true;
  });
  return true;
}

bool PollRet(Ctx& c, std::string* out) {
  AppendDec(out, c.call.ret);
  if (c.call.ret == 0) {
    out->append(" (Timeout)");
    return true;
  }
  const uint64_t addr = c.Arg(0);
  const uint64_t n = std::min<uint64_t>(c.Arg(1), 1 << 16);
  std::string list;
  list.push_back('[');
  size_t shown = 0;
  for (uint64_t i = 0; i < n; ++i) {
    pollfd p;
    if (!Fetch(c, addr + i * sizeof(pollfd), &p)) break;
    if (p.revents == 0) continue;
    if (shown) list.append(", ");
    if (shown >= c.Limit()) {
      list.append("...");
      break;
    }
    ++shown;
    list.append("{fd=");
    AppendFd(c, &list, p.fd);
    list.append(", revents=");
    AppendFlags(&list, "poll_events", static_cast<uint16_t>(p.revents));
    list.push_back('}');
  }
  list.push_back(']');
  out->append(" (");
  out->append(list);
  if (c.name == "ppoll" && c.Arg(2) != 0) {
    std::string left;
    if (AppendTimespec(c, c.Arg(2), &left)) {
      out->append(", left ");
      out->append(left);
    }
  }
  out->push_back(')');
  return true;
}

void AppendEpollEvent(Ctx& c, const epoll_event& ev, std::string* out) {
  (void)c;
  out->append("{events=");
  AppendFlags(out, "epoll_events", ev.events);
  out->append(", data={u32=");
  AppendUDec(out, static_cast<uint32_t>(ev.data.u64));
  out->append(", u64=");
  AppendUDec(out, ev.data.u64);
  out->append("}}");
}

bool DecodeEpollEvent(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const ArgSpec& spec = c.sig.args[idx];
  if (spec.out) {  // epoll_wait & co: as many as the call returned
    const uint64_t n = c.call.ret > 0 ? static_cast<uint64_t>(c.call.ret) : 0;
    AppendArray(c, out, addr, n, sizeof(epoll_event), [&](uint64_t a) {
      epoll_event ev;
      if (!Fetch(c, a, &ev)) return false;
      AppendEpollEvent(c, ev, out);
      return true;
    });
    return true;
  }
  epoll_event ev;
  if (!Fetch(c, addr, &ev)) return false;
  AppendEpollEvent(c, ev, out);
  return true;
}

// fd_set: bits of the fds below nfds (the first argument of select/pselect6).
bool AppendFdSet(Ctx& c, uint64_t addr, int nfds, std::string* out) {
  if (nfds < 0) nfds = 0;
  if (nfds > FD_SETSIZE * 8) nfds = FD_SETSIZE * 8;
  const size_t bytes = (static_cast<size_t>(nfds) + 63) / 64 * 8;
  uint8_t buf[FD_SETSIZE];
  if (bytes != 0 && !ReadAll(c.mem, addr, buf, std::min<size_t>(bytes, sizeof(buf)))) {
    return false;
  }
  out->push_back('[');
  bool first = true;
  for (int fd = 0; fd < nfds && static_cast<size_t>(fd / 8) < sizeof(buf); ++fd) {
    if (!((buf[fd / 8] >> (fd % 8)) & 1)) continue;
    if (!first) out->push_back(' ');
    first = false;
    AppendFd(c, out, fd);
  }
  out->push_back(']');
  return true;
}

bool DecodeFdSet(Ctx& c, uint64_t addr, int, std::string* out) {
  return AppendFdSet(c, addr, static_cast<int>(c.Arg(0)), out);
}

bool SelectRet(Ctx& c, std::string* out) {
  AppendDec(out, c.call.ret);
  if (c.call.ret == 0) {
    out->append(" (Timeout)");
    return true;
  }
  std::string detail;
  static constexpr const char* kNames[] = {"in", "out", "except"};
  for (int i = 0; i < 3; ++i) {
    const uint64_t addr = c.Arg(i + 1);
    if (addr == 0) continue;
    std::string set;
    if (!AppendFdSet(c, addr, static_cast<int>(c.Arg(0)), &set) || set == "[]") continue;
    if (!detail.empty()) detail.append(", ");
    detail.append(kNames[i]);
    detail.push_back(' ');
    detail.append(set);
  }
  if (c.Arg(4) != 0) {
    std::string left;
    bool ok = c.name == "select" ? AppendTimeval(c, c.Arg(4), &left)
                                 : AppendTimespec(c, c.Arg(4), &left);
    if (ok) {
      if (!detail.empty()) detail.append(", ");
      detail.append("left ");
      detail.append(left);
    }
  }
  if (!detail.empty()) {
    out->append(" (");
    out->append(detail);
    out->push_back(')');
  }
  return true;
}

// pselect6's sixth argument: {sigmask=[...], sigsetsize=8}; the set as its address when the
// size is not the kernel's sigset_t (8 bytes, 4 allowed on i386), as strace prints it.
bool DecodePselectSigmask(Ctx& c, uint64_t addr, int, std::string* out) {
  uint64_t set, size;
  const size_t word = c.Compat() ? 4 : 8;
  if (!FetchWord(c, addr, &set) || !FetchWord(c, addr + word, &size)) return false;
  out->append("{sigmask=");
  uint8_t mask[8] = {};
  if (set == 0) {
    out->append("NULL");
  } else if (size >= word && size <= 8 && ReadAll(c.mem, set, mask, size)) {
    AppendSigmask(out, mask, size);
  } else {
    AppendAddr(out, set);
  }
  out->append(", sigsetsize=");
  AppendUDec(out, size);
  out->push_back('}');
  return true;
}

constexpr StructDecoder kStructs[] = {
    {"pollfd", DecodePollfd, true},
    {"epoll_event", DecodeEpollEvent, true},
    {"fd_set", DecodeFdSet, true},
    {"pselect6_sigmask", DecodePselectSigmask, true},
};

// epoll_pwait/epoll_pwait2 print their timeout and sigmask at exit, as strace does, where a
// failed call shows addresses (strace's umove_or_printaddr).
ArgResult EpollPwaitArg(Ctx& c, int idx, std::string* out) {
  if (idx < 3 || !c.Failed() || c.sig.args[idx].kind != ArgKind::kStruct) {
    return ArgResult::kGeneric;
  }
  AppendAddr(out, c.Arg(idx));
  return ArgResult::kHandled;
}

constexpr CallHooks kHooks[] = {
    {.name = "epoll_pwait", .arg = EpollPwaitArg},
    {.name = "epoll_pwait2", .arg = EpollPwaitArg},
    {.name = "poll", .ret = PollRet},
    {.name = "ppoll", .ret = PollRet},
    {.name = "select", .ret = SelectRet},
    {.name = "pselect6", .ret = SelectRet},
};

}  // namespace

std::span<const StructDecoder> PollStructs() { return kStructs; }
std::span<const CallHooks> PollHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
