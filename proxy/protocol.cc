#include "proxy/protocol.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <cstring>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/json.h"

namespace pwnbox::proxy {
namespace {

using json = nlohmann::json;  // the encoders of rare messages (hello, error, attach)

core::Error ProtocolError(std::string message) {
  return core::Error("proxy protocol: " + std::move(message), EPROTO);
}

// ---- JSON members, type-checked (nlohmann's own accessors throw) -----------------------------

const Json* Member(const Json& object, const char* key) { return object.find(key); }

// An integer member in [min, max]; nullopt when absent. Floats, strings... are errors.
core::Result<std::optional<int64_t>> IntMember(const Json& object, const char* key, int64_t min,
                                               int64_t max) {
  const Json* v = Member(object, key);
  if (v == nullptr) return std::optional<int64_t>();
  bool in_range = false;
  int64_t value = 0;
  if (v->is_unsigned()) {
    uint64_t u = v->as_uint();
    in_range = u <= static_cast<uint64_t>(max);
    value = static_cast<int64_t>(u);
  } else if (v->is_integer()) {
    value = v->as_int();
    in_range = value >= min && value <= max;
  }
  if (!in_range || value < min)
    return ProtocolError("\"" + std::string(key) + "\" must be an integer in " +
                         std::to_string(min) + ".." + std::to_string(max));
  return std::optional<int64_t>(value);
}

core::Result<std::optional<uint64_t>> UintMember(const Json& object, const char* key) {
  const Json* v = Member(object, key);
  if (v == nullptr) return std::optional<uint64_t>();
  if (!v->is_unsigned())
    return ProtocolError("\"" + std::string(key) + "\" must be an unsigned integer");
  return std::optional<uint64_t>(v->as_uint());
}

core::Result<std::optional<std::string>> StringMember(const Json& object, const char* key,
                                                      size_t max_bytes) {
  const Json* v = Member(object, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return ProtocolError("\"" + std::string(key) + "\" must be a string");
  const auto& s = v->as_string();
  if (s.size() > max_bytes)
    return ProtocolError("\"" + std::string(key) + "\" is longer than " +
                         std::to_string(max_bytes) + " bytes");
  return std::optional<std::string>(s);
}

core::Result<std::optional<bool>> BoolMember(const Json& object, const char* key) {
  const Json* v = Member(object, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_bool()) return ProtocolError("\"" + std::string(key) + "\" must be true or false");
  return std::optional<bool>(v->as_bool());
}

// Base64 of at most max_bytes decoded bytes in member `key`.
core::Result<std::optional<std::string>> DataMember(const Json& object, const char* key,
                                                    size_t max_bytes) {
  PWNBOX_ASSIGN_OR_RETURN(auto text, StringMember(object, key, (max_bytes + 2) / 3 * 4));
  if (!text) return std::optional<std::string>();
  auto bytes = Base64Decode(*text, max_bytes);
  if (!bytes.ok()) return ProtocolError("\"" + std::string(key) + "\": " + bytes.error().message());
  return std::optional<std::string>(std::move(bytes).value());
}

core::Result<uint64_t> IdMember(const Json& object) {
  PWNBOX_ASSIGN_OR_RETURN(auto id, IntMember(object, "id", 1, static_cast<int64_t>(kMaxId)));
  if (!id) return ProtocolError("missing \"id\"");
  return static_cast<uint64_t>(*id);
}

core::Status DecodeHello(const Json& j, Message* m) {
  PWNBOX_ASSIGN_OR_RETURN(auto version, IntMember(j, "version", 1, 1 << 30));
  if (!version) return ProtocolError("hello without \"version\"");
  m->hello.version = static_cast<int>(*version);
  PWNBOX_ASSIGN_OR_RETURN(auto fd, BoolMember(j, "fd"));
  m->hello.fd = fd.value_or(false);
  PWNBOX_ASSIGN_OR_RETURN(m->hello.fd_passing, BoolMember(j, "fd_passing"));
  PWNBOX_ASSIGN_OR_RETURN(auto software, StringMember(j, "software", 256));
  m->hello.software = software.value_or("");
  return core::Status::Ok();
}

// A path member: NAME (a JSON string) or NAME_b64 (its bytes when they are not UTF-8), at most
// kMaxPathBytes, without a NUL byte.
core::Result<std::optional<std::string>> PathMember(const Json& j, const std::string& name) {
  PWNBOX_ASSIGN_OR_RETURN(auto text, StringMember(j, name.c_str(), kMaxPathBytes));
  PWNBOX_ASSIGN_OR_RETURN(auto bytes, DataMember(j, (name + "_b64").c_str(), kMaxPathBytes));
  if (bytes) {
    if (text) return ProtocolError("a call has \"" + name + "\" or \"" + name + "_b64\", not both");
    text = std::move(bytes);
  }
  if (text && text->find('\0') != std::string::npos)
    return ProtocolError("\"" + name + "\" contains a NUL byte");
  return text;
}

// The network calls' members (docs/proxy.md "Network calls").
core::Status DecodeSocketMembers(const Json& j, Request* r) {
  PWNBOX_ASSIGN_OR_RETURN(r->domain, IntMember(j, "domain", 0, kMaxDomain));
  PWNBOX_ASSIGN_OR_RETURN(r->sock_type,
                          IntMember(j, "sock_type", 0, std::numeric_limits<int32_t>::max()));
  PWNBOX_ASSIGN_OR_RETURN(r->protocol, IntMember(j, "protocol", 0, kMaxSocketProtocol));
  return core::Status::Ok();
}

core::Status DecodeCall(const Json& j, Request* r) {
  PWNBOX_ASSIGN_OR_RETURN(r->id, IdMember(j));
  PWNBOX_ASSIGN_OR_RETURN(auto name, StringMember(j, "name", kMaxNameBytes));
  if (!name || name->empty()) return ProtocolError("call without \"name\"");
  r->name = std::move(*name);
  PWNBOX_ASSIGN_OR_RETURN(auto nr, IntMember(j, "nr", -1, 1 << 20));
  r->nr = nr.value_or(-1);
  PWNBOX_ASSIGN_OR_RETURN(auto abi, StringMember(j, "abi", 16));
  r->abi = abi.value_or("x86_64");
  if (r->abi != "x86_64" && r->abi != "i386")
    return ProtocolError("\"abi\" must be \"x86_64\" or \"i386\"");
  PWNBOX_ASSIGN_OR_RETURN(auto pid, IntMember(j, "pid", 0, std::numeric_limits<pid_t>::max()));
  r->pid = static_cast<pid_t>(pid.value_or(0));
  if (const Json* args = Member(j, "args")) {
    if (!args->is_array() || args->size() != 6)
      return ProtocolError("\"args\" must be an array of six unsigned integers");
    for (size_t i = 0; i < 6; ++i) {
      if (!(*args)[i].is_unsigned())
        return ProtocolError("\"args\" must be an array of six unsigned integers");
      r->args[i] = (*args)[i].as_uint();
    }
  }
  PWNBOX_ASSIGN_OR_RETURN(r->path, PathMember(j, "path"));
  PWNBOX_ASSIGN_OR_RETURN(r->path2, PathMember(j, "path2"));
  constexpr int64_t kIntMax = std::numeric_limits<int64_t>::max();
  PWNBOX_ASSIGN_OR_RETURN(r->flags, IntMember(j, "flags", -kIntMax, kIntMax));
  PWNBOX_ASSIGN_OR_RETURN(r->mode, IntMember(j, "mode", -kIntMax, kIntMax));
  PWNBOX_ASSIGN_OR_RETURN(r->resolve, UintMember(j, "resolve"));
  PWNBOX_ASSIGN_OR_RETURN(r->mask, UintMember(j, "mask"));
  PWNBOX_ASSIGN_OR_RETURN(r->size, UintMember(j, "size"));
  PWNBOX_ASSIGN_OR_RETURN(r->data, DataMember(j, "data", kMaxDataBytes));
  PWNBOX_RETURN_IF_ERROR(DecodeSocketMembers(j, r));
  PWNBOX_ASSIGN_OR_RETURN(auto stream, BoolMember(j, "stream"));
  r->stream = stream.value_or(false);
  return core::Status::Ok();
}

// A result's stream offer ("stream", "kind", "stream_size"), docs/proxy.md "Without fd passing".
core::Status DecodeStreamOffer(const Json& j, Response* r) {
  PWNBOX_ASSIGN_OR_RETURN(auto token, StringMember(j, "stream", kStreamTokenBytes));
  PWNBOX_ASSIGN_OR_RETURN(auto kind, StringMember(j, "kind", 16));
  PWNBOX_ASSIGN_OR_RETURN(auto size, UintMember(j, "stream_size"));
  if (!token) {
    if (kind || size) return ProtocolError("\"kind\" or \"stream_size\" without \"stream\"");
    return core::Status::Ok();
  }
  if (token->size() != kStreamTokenBytes ||
      token->find_first_not_of("0123456789abcdef") != std::string::npos)
    return ProtocolError("\"stream\" must be " + std::to_string(kStreamTokenBytes) +
                         " lowercase hex digits");
  StreamOffer offer;
  offer.token = std::move(*token);
  if (kind == "read") offer.kind = StreamOffer::Kind::kRead;
  else if (kind == "write") offer.kind = StreamOffer::Kind::kWrite;
  else if (kind == "duplex") offer.kind = StreamOffer::Kind::kDuplex;
  else return ProtocolError("\"kind\" must be \"read\", \"write\" or \"duplex\"");
  if (size && (offer.kind != StreamOffer::Kind::kRead || *size > kMaxStreamFileBytes))
    return ProtocolError("\"stream_size\" belongs to a read stream of at most " +
                         std::to_string(kMaxStreamFileBytes) + " bytes");
  offer.size = size;
  if (r->err != 0) return ProtocolError("a failed call's result carries no stream");
  if (!r->data.empty()) return ProtocolError("a stream came with data");
  r->stream = std::move(offer);
  return core::Status::Ok();
}

core::Status DecodeResult(const Json& j, Response* r, bool* wants_fd) {
  PWNBOX_ASSIGN_OR_RETURN(r->id, IdMember(j));
  constexpr int64_t kIntMax = std::numeric_limits<int64_t>::max();
  PWNBOX_ASSIGN_OR_RETURN(auto ret, IntMember(j, "ret", -kIntMax, kIntMax));
  PWNBOX_ASSIGN_OR_RETURN(auto err, IntMember(j, "errno", 1, 4095));
  if (ret.has_value() == err.has_value())
    return ProtocolError("a result has either \"ret\" or \"errno\"");
  r->ret = ret.value_or(-1);
  r->err = static_cast<int>(err.value_or(0));
  PWNBOX_ASSIGN_OR_RETURN(auto fd, BoolMember(j, "fd"));
  *wants_fd = fd.value_or(false);
  // One exception: a non-blocking connect still in progress passes its socket (docs/proxy.md
  // "Network calls").
  if (*wants_fd && r->err != 0 && r->err != EINPROGRESS)
    return ProtocolError("a failed call's result carries no fd");
  PWNBOX_ASSIGN_OR_RETURN(auto data, DataMember(j, "data", kMaxDataBytes));
  r->data = data.value_or("");
  PWNBOX_RETURN_IF_ERROR(DecodeStreamOffer(j, r));
  if (r->stream && *wants_fd) return ProtocolError("a result carries an fd or a stream, not both");
  return core::Status::Ok();
}

// ---- Sockets -----------------------------------------------------------------------------------

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

// Waits until `sock` is readable or `deadline_ms` (CLOCK_MONOTONIC; -1: never) passes.
core::Status WaitReadable(int sock, int64_t deadline_ms) {
  while (true) {
    int64_t left = deadline_ms - NowMs();
    if (left < 0) left = 0;
    pollfd p{sock, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
    if (n > 0) return core::Status::Ok();
    if (n == 0) return core::Error("proxy: no answer in time", ETIMEDOUT);
    if (errno != EINTR) return core::ErrnoError(errno, "proxy: poll");
  }
}

// Reads exactly `len` bytes into `buf`, collecting SCM_RIGHTS fds: those on the message's first
// byte (`first`) into *fd, any other one is closed and makes the message an error. *eof is set
// when the peer closed before the first byte.
core::Status ReadFull(int sock, char* buf, size_t len, int64_t deadline_ms, bool first,
                      core::UniqueFd* fd, bool* eof) {
  size_t got = 0;
  bool bad_fds = false;
  while (got < len) {
    iovec iov{buf + got, len - got};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    // Without a deadline, block in recvmsg; with one, poll only when nothing is there yet.
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | (deadline_ms >= 0 ? MSG_DONTWAIT : 0));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && deadline_ms >= 0) {
        core::Status ready = WaitReadable(sock, deadline_ms);
        if (!ready.ok() && ready.error().sys_errno() == ETIMEDOUT && (!first || got > 0))
          return core::Error("proxy: the peer stalled in the middle of a message", EIO);
        PWNBOX_RETURN_IF_ERROR(ready);
        continue;
      }
      return core::ErrnoError(errno, "proxy: recvmsg");
    }
    if (!TakeFds(&msg, first && got == 0, fd)) bad_fds = true;
    if (n == 0) {
      if (first && got == 0) {
        *eof = true;
        return core::Status::Ok();
      }
      return core::Error("proxy: the peer closed the connection in the middle of a message",
                         ECONNRESET);
    }
    got += static_cast<size_t>(n);
  }
  if (bad_fds)
    return ProtocolError("more than one fd, or an fd after a message's first byte");
  return core::Status::Ok();
}

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Sextet(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool TakeFds(msghdr* msg, bool first_byte, core::UniqueFd* fd) {
  bool ok = (msg->msg_flags & MSG_CTRUNC) == 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
      core::UniqueFd owned(received);
      if (first_byte && !*fd && i == 0 && count <= kMaxFdsPerMessage)
        *fd = std::move(owned);
      else
        ok = false;  // `owned` closes it
    }
  }
  return ok;
}

// ---- Base64 ------------------------------------------------------------------------------------

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

core::Result<std::string> Base64Decode(std::string_view text, size_t max_bytes) {
  if (text.size() % 4 != 0) return core::Error("base64 length is not a multiple of 4", EPROTO);
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  size_t out_len = text.size() / 4 * 3 - pad;
  if (out_len > max_bytes)
    return core::Error("more than " + std::to_string(max_bytes) + " bytes", EPROTO);
  std::string out;
  out.reserve(out_len);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int s[4];
    for (int k = 0; k < 4; ++k) {
      unsigned char c = static_cast<unsigned char>(text[i + k]);
      bool pad_here = last && c == '=' && k >= 4 - static_cast<int>(pad);
      s[k] = pad_here ? 0 : Sextet(c);
      if (s[k] < 0) return core::Error("invalid base64", EPROTO);
    }
    uint32_t v = (uint32_t(s[0]) << 18) | (uint32_t(s[1]) << 12) | (uint32_t(s[2]) << 6) | uint32_t(s[3]);
    out += static_cast<char>(v >> 16);
    if (!last || pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (!last || pad < 1) out += static_cast<char>(v & 0xff);
    // Canonical form only: the bits that padding drops must be zero.
    if (last && ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))))
      return core::Error("invalid base64 padding", EPROTO);
  }
  return out;
}

// ---- Encoders ----------------------------------------------------------------------------------

core::Result<std::string> EncodeRequest(const Request& r) {
  if (r.id == 0 || r.id > kMaxId) return ProtocolError("request id out of range");
  if (r.name.empty() || r.name.size() > kMaxNameBytes) return ProtocolError("bad call name");
  if ((r.path && r.path->size() > kMaxPathBytes) || (r.path2 && r.path2->size() > kMaxPathBytes))
    return core::Error("proxy: path longer than " + std::to_string(kMaxPathBytes) + " bytes",
                       ENAMETOOLONG);
  if (r.data && r.data->size() > kMaxDataBytes)
    return core::Error("proxy: buffer larger than " + std::to_string(kMaxDataBytes) + " bytes",
                       EMSGSIZE);
  if ((r.domain && (*r.domain < 0 || *r.domain > kMaxDomain)) ||
      (r.sock_type && (*r.sock_type < 0 || *r.sock_type > std::numeric_limits<int32_t>::max())) ||
      (r.protocol && (*r.protocol < 0 || *r.protocol > kMaxSocketProtocol)))
    return ProtocolError("socket domain, type or protocol out of range");
  // Written by hand, not through a JSON library: this is the hot path of every proxied call.
  std::string out;
  out.reserve(256 + (r.data ? r.data->size() * 4 / 3 : 0));
  auto member = [&out](std::string_view name) {
    out += ",\"";
    out += name;
    out += "\":";
  };
  auto number = [&out, &member](std::string_view name, auto value) {
    member(name);
    out += std::to_string(value);
  };
  out += "{\"type\":\"call\"";
  number("id", r.id);
  member("name");
  if (!AppendJsonString(&out, r.name)) return ProtocolError("bad call name");
  number("nr", r.nr);
  member("abi");
  if (!AppendJsonString(&out, r.abi)) return ProtocolError("bad abi");
  number("pid", r.pid);
  member("args");
  for (size_t i = 0; i < r.args.size(); ++i) {
    out += i == 0 ? '[' : ',';
    out += std::to_string(r.args[i]);
  }
  out += ']';
  if (r.flags) number("flags", *r.flags);
  if (r.mode) number("mode", *r.mode);
  if (r.resolve) number("resolve", *r.resolve);
  if (r.mask) number("mask", *r.mask);
  if (r.size) number("size", *r.size);
  if (r.data) {
    member("data");
    out += '"';
    out += Base64Encode(*r.data);
    out += '"';
  }
  if (r.domain) number("domain", *r.domain);
  if (r.sock_type) number("sock_type", *r.sock_type);
  if (r.protocol) number("protocol", *r.protocol);
  if (r.stream) out += ",\"stream\":true";
  // Paths are the only strings that can be other than UTF-8: those go as their bytes.
  auto put_path = [&](std::string_view name, const std::string& path) {
    member(name);
    if (AppendJsonString(&out, path)) return;
    out.resize(out.size() - name.size() - 4);  // ,"NAME": again, as NAME_b64
    member(std::string(name) + "_b64");
    out += '"';
    out += Base64Encode(path);
    out += '"';
  };
  if (r.path) put_path("path", *r.path);
  if (r.path2) put_path("path2", *r.path2);
  out += '}';
  return out;
}

std::string EncodeResponse(const Response& r) {
  // By hand, as EncodeRequest: every proxied call's answer.
  std::string out;
  out.reserve(96 + r.data.size() * 4 / 3);
  out += "{\"type\":\"result\",\"id\":";
  out += std::to_string(r.id);
  if (r.err != 0) {
    out += ",\"errno\":";
    out += std::to_string(r.err);
  } else {
    out += ",\"ret\":";
    out += std::to_string(r.ret);
  }
  if (r.fd) out += ",\"fd\":true";
  if (!r.data.empty()) {
    out += ",\"data\":\"";
    out += Base64Encode(r.data);
    out += '"';
  }
  if (r.stream) {
    out += ",\"stream\":";
    // A token is hex (DecodeStreamOffer); anything else would be a bug: escape it anyway.
    if (!AppendJsonString(&out, r.stream->token)) out += "\"\"";
    using Kind = StreamOffer::Kind;
    out += r.stream->kind == Kind::kRead    ? ",\"kind\":\"read\""
           : r.stream->kind == Kind::kWrite ? ",\"kind\":\"write\""
                                            : ",\"kind\":\"duplex\"";
    if (r.stream->size) {
      out += ",\"stream_size\":";
      out += std::to_string(*r.stream->size);
    }
  }
  out += '}';
  return out;
}

std::string EncodeAttach(std::string_view token) {
  json j = json::object();
  j["type"] = "attach";
  j["version"] = kProtocolVersion;
  j["token"] = std::string(token.substr(0, kStreamTokenBytes));
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string EncodeAttached() { return R"({"type":"attached"})"; }

std::string EncodeHello(const Hello& h) {
  json j = json::object();
  j["type"] = "hello";
  j["version"] = h.version;
  j["fd"] = h.fd;
  if (h.fd_passing) j["fd_passing"] = *h.fd_passing;
  if (!h.software.empty()) j["software"] = h.software;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string EncodeError(std::string_view message) {
  json j = json::object();
  j["type"] = "error";
  j["message"] = std::string(message.substr(0, 1024));
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---- Decoder -----------------------------------------------------------------------------------

core::Result<Message> DecodeMessage(std::string_view payload, core::UniqueFd fd) {
  if (payload.empty() || payload.size() > kMaxMessageBytes)
    return ProtocolError("message size out of range");
  Message m;
  {
    std::string why;
    std::optional<Json> parsed = Json::Parse(payload, kMaxJsonDepth, &why);
    if (!parsed) {
      if (why.rfind("nesting too deep", 0) == 0)
        return ProtocolError("JSON nested deeper than " + std::to_string(kMaxJsonDepth));
      return ProtocolError("the payload is not valid JSON (" + why + ")");
    }
    const Json& j = *parsed;
    if (!j.is_object()) return ProtocolError("the payload is not a JSON object");
    PWNBOX_ASSIGN_OR_RETURN(auto type, StringMember(j, "type", 16));
    if (!type) return ProtocolError("message without \"type\"");
    bool wants_fd = false;
    if (*type == "hello") {
      m.type = Message::Type::kHello;
      PWNBOX_RETURN_IF_ERROR(DecodeHello(j, &m));
      wants_fd = m.hello.fd;
      m.fd = std::move(fd);
      if (wants_fd && !m.fd) {
        // A hello's fd is the proof of fd passing: its absence is an answer, not an error.
        m.hello.fd = false;
        wants_fd = false;
      }
      if (!wants_fd && m.fd) return ProtocolError("an fd came with a hello that announced none");
      return m;
    }
    if (*type == "call") {
      m.type = Message::Type::kCall;
      PWNBOX_RETURN_IF_ERROR(DecodeCall(j, &m.request));
      if (fd) return ProtocolError("an fd came with a call");
      return m;
    }
    if (*type == "result") {
      m.type = Message::Type::kResult;
      PWNBOX_RETURN_IF_ERROR(DecodeResult(j, &m.response, &wants_fd));
      if (wants_fd && !fd)
        return ProtocolError("result " + std::to_string(m.response.id) +
                             " announces an fd that did not arrive (is fd passing lost on the "
                             "way?)");
      if (!wants_fd && fd)
        return ProtocolError("an fd came with result " + std::to_string(m.response.id) +
                             " that announced none");
      m.response.fd = std::move(fd);
      return m;
    }
    if (*type == "attach" || *type == "attached") {
      if (fd) return ProtocolError("an fd came with an " + *type);
      if (*type == "attached") {
        m.type = Message::Type::kAttached;
        return m;
      }
      m.type = Message::Type::kAttach;
      PWNBOX_ASSIGN_OR_RETURN(auto version, IntMember(j, "version", 1, 1 << 30));
      if (version.value_or(kProtocolVersion) != kProtocolVersion)
        return ProtocolError("attach of protocol version " + std::to_string(*version));
      PWNBOX_ASSIGN_OR_RETURN(auto token, StringMember(j, "token", kStreamTokenBytes));
      if (!token || token->empty()) return ProtocolError("attach without \"token\"");
      m.token = std::move(*token);
      return m;
    }
    if (*type == "error") {
      m.type = Message::Type::kError;
      PWNBOX_ASSIGN_OR_RETURN(auto text, StringMember(j, "message", 4096));
      m.error = text.value_or("(no message)");
      if (fd) return ProtocolError("an fd came with an error");
      return m;
    }
    return ProtocolError("unknown message type \"" + type->substr(0, 16) + "\"");
  }
}

// ---- Framing -----------------------------------------------------------------------------------

core::Status SendMessage(int sock, std::string_view payload, int fd) {
  if (payload.empty() || payload.size() > kMaxMessageBytes)
    return core::Error("proxy: message of " + std::to_string(payload.size()) +
                           " bytes; the protocol allows 1.." + std::to_string(kMaxMessageBytes),
                       EMSGSIZE);
  unsigned char header[kLengthBytes];
  EncodeLength(static_cast<uint32_t>(payload.size()), header);
  iovec iov[2] = {{header, sizeof header},
                  {const_cast<char*>(payload.data()), payload.size()}};
  size_t total = sizeof header + payload.size();
  size_t sent = 0;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  while (sent < total) {
    // Skip what was sent already.
    iovec rest[2];
    int n_iov = 0;
    size_t skip = sent;
    for (const iovec& v : iov) {
      if (skip >= v.iov_len) {
        skip -= v.iov_len;
        continue;
      }
      rest[n_iov++] = {static_cast<char*>(v.iov_base) + skip, v.iov_len - skip};
      skip = 0;
    }
    msghdr msg{};
    msg.msg_iov = rest;
    msg.msg_iovlen = n_iov;
    if (sent == 0 && fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::ErrnoError(errno, "proxy: sendmsg");
    }
    sent += static_cast<size_t>(n);
  }
  return core::Status::Ok();
}

core::Result<std::optional<Frame>> ReceiveMessage(int sock, int timeout_ms) {
  const int64_t deadline = timeout_ms < 0 ? -1 : NowMs() + timeout_ms;
  Frame frame;
  unsigned char header[kLengthBytes];
  bool eof = false;
  PWNBOX_RETURN_IF_ERROR(ReadFull(sock, reinterpret_cast<char*>(header), sizeof header, deadline,
                                  /*first=*/true, &frame.fd, &eof));
  if (eof) return std::optional<Frame>();
  const uint32_t len = DecodeLength(header);
  if (len == 0 || len > kMaxMessageBytes)
    return core::Error("proxy: a message of " + std::to_string(len) +
                           " bytes; the protocol allows 1.." + std::to_string(kMaxMessageBytes),
                       EMSGSIZE);
  frame.payload.resize(len);
  PWNBOX_RETURN_IF_ERROR(ReadFull(sock, frame.payload.data(), len, deadline, /*first=*/false,
                                  &frame.fd, &eof));
  return std::optional<Frame>(std::move(frame));
}

}  // namespace pwnbox::proxy
