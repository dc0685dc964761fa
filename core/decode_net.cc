#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

bool AppendSockaddr(Ctx& c, uint64_t addr, uint64_t len, std::string* out) {
  sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  if (len > sizeof(ss)) len = sizeof(ss);
  if (len < sizeof(sa_family_t)) {
    AppendAddr(out, addr);
    return true;
  }
  if (!ReadAll(c.mem, addr, &ss, len)) return false;
  int family = ss.ss_family;
  out->append("{sa_family=");
  AppendEnum(out, "address_family", family);
  char text[INET6_ADDRSTRLEN];
  // Only the `len` bytes the kernel reads: a family's fields need its whole struct (strace's
  // min_len; sockaddr_in6 without sin6_scope_id is SIN6_MIN_LEN), otherwise the raw sa_data.
  constexpr size_t kSin6MinLen = offsetof(sockaddr_in6, sin6_scope_id);
  if ((family == AF_INET && len < sizeof(sockaddr_in)) ||
      (family == AF_INET6 && len < kSin6MinLen) ||
      (family == AF_NETLINK && len < sizeof(sockaddr_nl))) {
    family = -1;
  }
  switch (family) {
    case AF_UNIX: {
      if (len <= offsetof(sockaddr_un, sun_path)) break;
      const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
      size_t n = len - offsetof(sockaddr_un, sun_path);
      std::string_view path(un->sun_path, n);
      out->append(", sun_path=");
      if (!path.empty() && path[0] == '\0') {
        out->push_back('@');
        AppendQuoted(out, path.substr(1));
      } else {
        size_t nul = path.find('\0');
        AppendQuoted(out, path.substr(0, nul));
      }
      break;
    }
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
      out->append(", sin_port=htons(");
      AppendUDec(out, ntohs(in->sin_port));
      out->append("), sin_addr=inet_addr(\"");
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      out->append(text);
      out->append("\")");
      break;
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      out->append(", sin6_port=htons(");
      AppendUDec(out, ntohs(in6->sin6_port));
      out->append("), sin6_flowinfo=htonl(");
      AppendUDec(out, ntohl(in6->sin6_flowinfo));
      out->append("), inet_pton(AF_INET6, \"");
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      out->append(text);
      out->append("\", &sin6_addr)");
      if (len >= sizeof(sockaddr_in6)) {
        out->append(", sin6_scope_id=");
        AppendUDec(out, in6->sin6_scope_id);
      }
      break;
    }
    case AF_NETLINK: {
      const auto* nl = reinterpret_cast<const sockaddr_nl*>(&ss);
      out->append(", nl_pid=");
      AppendDec(out, static_cast<int32_t>(nl->nl_pid));
      out->append(", nl_groups=");
      char groups[16];
      snprintf(groups, sizeof(groups), "%08x", nl->nl_groups);
      out->append(groups);
      break;
    }
    default: {
      const size_t n = len - sizeof(sa_family_t);
      out->append(", sa_data=");
      const char* data = reinterpret_cast<const char*>(&ss) + sizeof(sa_family_t);
      const size_t shown = std::min(n, c.Limit());
      AppendQuoted(out, std::string_view(data, shown));
      if (shown < n) out->append("...");
      break;
    }
  }
  out->push_back('}');
  return true;
}

namespace {

// The length of argument `idx`'s buffer: the value of its len_arg, or what a socklen_t*
// len_arg points to.
uint64_t LenOf(Ctx& c, int idx, uint64_t dflt) {
  const ArgSpec& spec = c.sig.args[idx];
  if (spec.len_arg < 0) return dflt;
  const ArgSpec& len_spec = c.sig.args[spec.len_arg];
  const uint64_t v = c.UArg(spec.len_arg);
  if (len_spec.kind == ArgKind::kStruct || len_spec.kind == ArgKind::kPtr) {
    uint32_t n;
    if (v == 0 || !Fetch(c, v, &n)) return dflt;
    return n;
  }
  return v;
}

bool DecodeSockaddr(Ctx& c, uint64_t addr, int idx, std::string* out) {
  return AppendSockaddr(c, addr, LenOf(c, idx, sizeof(sockaddr_storage)), out);
}

// "[16]", or "[110 => 16]" when the kernel changed the length it was given.
bool DecodeSocklen(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const uint64_t saved = c.dc != nullptr ? c.dc->saved[idx] : 0;
  const bool have_in = (saved >> 32) != 0;
  const uint32_t in = static_cast<uint32_t>(saved);
  uint32_t n;
  if (c.Failed() || !Fetch(c, addr, &n)) {
    if (!have_in) return false;
    n = in;
  }
  out->push_back('[');
  if (have_in && in != n) {
    AppendUDec(out, in);
    out->append(" => ");
  }
  AppendUDec(out, n);
  out->push_back(']');
  return true;
}

void AppendCmsgs(Ctx& c, uint64_t addr, uint64_t len, std::string* out) {
  std::string buf(std::min<uint64_t>(len, 4096), '\0');
  if (!ReadAll(c.mem, addr, buf.data(), buf.size())) {
    AppendAddr(out, addr);
    return;
  }
  out->push_back('[');
  size_t off = 0;
  bool first = true;
  while (off + sizeof(cmsghdr) <= buf.size()) {
    cmsghdr h;
    memcpy(&h, buf.data() + off, sizeof(h));
    if (h.cmsg_len < sizeof(cmsghdr)) break;
    if (!first) out->append(", ");
    first = false;
    out->append("{cmsg_len=");
    AppendUDec(out, h.cmsg_len);
    out->append(", cmsg_level=");
    AppendEnum(out, "socket_level", static_cast<uint32_t>(h.cmsg_level));
    out->append(", cmsg_type=");
    const size_t data_off = off + CMSG_LEN(0);
    const size_t data_len = std::min<size_t>(h.cmsg_len, buf.size() - off) - CMSG_LEN(0);
    if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
      out->append("SCM_RIGHTS, cmsg_data=[");
      for (size_t i = 0; i + sizeof(int) <= data_len; i += sizeof(int)) {
        int fd;
        memcpy(&fd, buf.data() + data_off + i, sizeof(fd));
        if (i) out->append(", ");
        AppendFd(c, out, fd);
      }
      out->push_back(']');
    } else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_CREDENTIALS &&
               data_len >= sizeof(ucred)) {
      ucred cr;
      memcpy(&cr, buf.data() + data_off, sizeof(cr));
      out->append("SCM_CREDENTIALS, cmsg_data={pid=");
      AppendDec(out, cr.pid);
      out->append(", uid=");
      AppendUDec(out, cr.uid);
      out->append(", gid=");
      AppendUDec(out, cr.gid);
      out->push_back('}');
    } else {
      AppendDec(out, h.cmsg_type);
    }
    out->push_back('}');
    off += CMSG_ALIGN(h.cmsg_len);
  }
  out->push_back(']');
}

// `namelen_in`: msg_namelen before the call (bit 32 set when known).
bool AppendMsghdr(Ctx& c, uint64_t addr, uint64_t data_limit, std::string* out,
                  uint64_t namelen_in = 0) {
  struct msghdr m;
  if (!Fetch(c, addr, &m)) return false;
  out->append("{msg_name=");
  const uint64_t name = reinterpret_cast<uint64_t>(m.msg_name);
  if (name == 0 || m.msg_namelen == 0) {
    AppendAddr(out, name);
  } else if (!AppendSockaddr(c, name, m.msg_namelen, out)) {
    AppendAddr(out, name);
  }
  out->append(", msg_namelen=");
  if ((namelen_in >> 32) != 0 && static_cast<uint32_t>(namelen_in) != m.msg_namelen) {
    AppendUDec(out, static_cast<uint32_t>(namelen_in));
    out->append(" => ");
  }
  AppendUDec(out, m.msg_namelen);
  out->append(", msg_iov=");
  const uint64_t iov = reinterpret_cast<uint64_t>(m.msg_iov);
  if (iov == 0) {
    out->append("NULL");
  } else if (!AppendIovec(c, iov, m.msg_iovlen, data_limit, out)) {
    AppendAddr(out, iov);
  }
  out->append(", msg_iovlen=");
  AppendUDec(out, m.msg_iovlen);
  if (m.msg_controllen != 0) {
    out->append(", msg_control=");
    AppendCmsgs(c, reinterpret_cast<uint64_t>(m.msg_control), m.msg_controllen, out);
  }
  out->append(", msg_controllen=");
  AppendUDec(out, m.msg_controllen);
  out->append(", msg_flags=");
  AppendFlags(out, "msg_flags", static_cast<uint32_t>(m.msg_flags));
  out->push_back('}');
  return true;
}

bool DecodeMsghdr(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const bool written = c.sig.args[idx].out;
  const uint64_t saved = written && c.dc != nullptr ? c.dc->saved[idx] : 0;
  if (written && c.Failed()) {  // strace: what recvmsg was given, "{msg_namelen=16}"
    if ((saved >> 32) == 0) return false;
    out->append("{msg_namelen=");
    AppendUDec(out, static_cast<uint32_t>(saved));
    out->push_back('}');
    return true;
  }
  return AppendMsghdr(c, addr, written ? static_cast<uint64_t>(c.call.ret) : UINT64_MAX, out,
                      saved);
}

bool DecodeMmsghdr(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const ArgSpec& spec = c.sig.args[idx];
  uint64_t n = spec.len_arg >= 0 ? c.Arg(spec.len_arg) : 1;
  if (spec.out || c.exiting) n = c.call.ret > 0 ? std::min<uint64_t>(n, c.call.ret) : 0;
  mmsghdr probe;
  if (n != 0 && !Fetch(c, addr, &probe)) return false;
  AppendArray(c, out, addr, n, sizeof(mmsghdr), [&](uint64_t a) {
    mmsghdr mm;
    if (!Fetch(c, a, &mm)) return false;
    out->append("{msg_hdr=");
    const uint64_t limit = spec.out ? mm.msg_len : UINT64_MAX;
    if (!AppendMsghdr(c, a, limit, out)) AppendAddr(out, a);
    out->append(", msg_len=");
    AppendUDec(out, mm.msg_len);
    out->push_back('}');
    return true;
  });
  return true;
}

bool DecodeSockopt(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const uint64_t len = LenOf(c, idx, 0);
  if (len == sizeof(int)) {
    int32_t v;
    if (!Fetch(c, addr, &v)) return false;
    out->push_back('[');
    AppendDec(out, v);
    out->push_back(']');
    return true;
  }
  AppendBuffer(c, out, addr, len);
  return true;
}

bool DecodeSockFprog(Ctx& c, uint64_t addr, int, std::string* out) {
  sock_fprog prog;
  if (!Fetch(c, addr, &prog)) return false;
  out->append("{len=");
  AppendUDec(out, prog.len);
  out->append(", filter=");
  AppendAddr(out, reinterpret_cast<uint64_t>(prog.filter));
  out->push_back('}');
  return true;
}

// socket/socketpair: the protocol is an IPPROTO_* only for the IP families.
ArgResult SocketArg(Ctx& c, int idx, std::string* out) {
  if (idx != 2) return ArgResult::kGeneric;
  const int family = static_cast<int>(c.Arg(0));
  if (family == AF_INET || family == AF_INET6) {
    AppendEnum(out, "ip_protocol", static_cast<uint32_t>(c.Arg(2)));
  } else if (family == AF_NETLINK) {
    AppendEnum(out, "netlink_protocol", static_cast<uint32_t>(c.Arg(2)));
  } else {
    AppendDec(out, static_cast<int32_t>(c.Arg(2)));
  }
  return ArgResult::kHandled;
}

struct Opt {
  int value;
  const char* name;
};
#define X(x) {x, #x}
constexpr Opt kIpOptions[] = {
    X(IP_TOS), X(IP_TTL), X(IP_HDRINCL), X(IP_OPTIONS), X(IP_PKTINFO), X(IP_MTU_DISCOVER),
    X(IP_RECVERR), X(IP_RECVTTL), X(IP_RECVTOS), X(IP_MTU), X(IP_FREEBIND), X(IP_TRANSPARENT),
    X(IP_BIND_ADDRESS_NO_PORT), X(IP_MULTICAST_IF), X(IP_MULTICAST_TTL), X(IP_MULTICAST_LOOP),
    X(IP_ADD_MEMBERSHIP), X(IP_DROP_MEMBERSHIP),
};
constexpr Opt kIpv6Options[] = {
    X(IPV6_UNICAST_HOPS), X(IPV6_MULTICAST_IF), X(IPV6_MULTICAST_HOPS), X(IPV6_MULTICAST_LOOP),
    X(IPV6_MTU_DISCOVER), X(IPV6_MTU), X(IPV6_RECVERR), X(IPV6_V6ONLY), X(IPV6_RECVPKTINFO),
    X(IPV6_TCLASS), X(IPV6_RECVTCLASS),
};
#undef X

// The option name depends on the level: SO_* for SOL_SOCKET, IP_* for SOL_IP, ...
ArgResult SockoptArg(Ctx& c, int idx, std::string* out) {
  if (idx != 2) return ArgResult::kGeneric;
  const int level = static_cast<int>(c.Arg(1));
  const int name = static_cast<int>(c.Arg(2));
  auto find = [&](const auto& table) {
    for (const Opt& o : table) {
      if (o.value == name) {
        out->append(o.name);
        return true;
      }
    }
    AppendDec(out, name);
    return true;
  };
  switch (level) {
    case SOL_SOCKET:
      return ArgResult::kGeneric;
    case IPPROTO_TCP:
      AppendEnum(out, "tcp_option", static_cast<uint32_t>(name));
      return ArgResult::kHandled;
    case IPPROTO_IP:
      find(kIpOptions);
      return ArgResult::kHandled;
    case IPPROTO_IPV6:
      find(kIpv6Options);
      return ArgResult::kHandled;
    default:
      AppendDec(out, name);
      return ArgResult::kHandled;
  }
}

constexpr CallHooks kHooks[] = {
    {.name = "getsockopt", .arg = SockoptArg},
    {.name = "setsockopt", .arg = SockoptArg},
    {.name = "socket", .arg = SocketArg},
    {.name = "socketpair", .arg = SocketArg},
};

constexpr StructDecoder kStructs[] = {
    {"sockaddr", DecodeSockaddr, true},   {"socklen", DecodeSocklen, true},
    {"msghdr", DecodeMsghdr, false},      {"mmsghdr", DecodeMmsghdr, false},
    {"sockopt", DecodeSockopt, true},     {"sock_fprog", DecodeSockFprog, false},
};

}  // namespace

std::span<const StructDecoder> NetStructs() { return kStructs; }
std::span<const CallHooks> NetHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
