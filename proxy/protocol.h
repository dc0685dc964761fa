// pwnbox::proxy wire protocol, version 1: the messages that pwnbox, `pwnbox proxy serve` and
// handler processes exchange over a unix stream socket. docs/proxy.md is the reference (message
// by message, with a Python client); this header is its C++ side.
//
// Framing (every message, both directions):
//   message := length payload
//   length  := uint32, little-endian: the payload's size in bytes, 1..kMaxMessageBytes
//   payload := one JSON object, UTF-8, with a "type" member
// A file descriptor travels as SCM_RIGHTS ancillary data attached to the first byte of the
// message it belongs to (at most kMaxFdsPerMessage per message), and the payload says so with
// "fd": true.
//
// Messages:
//   hello   {"type":"hello","version":1,"fd":true,["fd_passing":BOOL],["software":STR]}
//           both ways, first: the client's carries one fd (the proof), the server's says in
//           "fd_passing" whether that fd arrived and, when it did, carries one fd back.
//   call    {"type":"call","id":N,"name":STR,"nr":N,"abi":"x86_64"|"i386","pid":N,
//            "args":[six unsigned],["path":STR | "path_b64":B64],["path2"...],["flags":N],["mode":N],
//            ["resolve":N],["mask":N],["size":N],["data":B64],
//            ["domain":N],["sock_type":N],["protocol":N]}                  client -> server
//           (connect/bind/sendto: the target socket's domain, type and protocol; "data" is
//           the sockaddr)
//   result  {"type":"result","id":N,("ret":N | "errno":N),["fd":true],["data":B64]}
//                                                                         server -> client
//           or, instead of "fd" when fds do not cross and the call said "stream": true,
//           ("stream":TOKEN,"kind":"read"|"write"|"duplex",["stream_size":N]) (StreamOffer)
//   error   {"type":"error","message":STR}   either way; the sender closes the connection.
//   attach  {"type":"attach","version":1,"token":TOKEN}   client -> server, first on a second
//           connection; answered {"type":"attached"}, then raw bytes (docs/proxy.md "Without fd
//           passing").
// Several calls may be in flight on one connection; results come in any order, matched by id.
//
// Every decoder here bounds what it accepts (kMax*) and turns every malformed input into an
// Error; none of them crashes or allocates beyond the bounds (tests/fuzz/proxy_protocol_fuzz.cc).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/status.h"

namespace pwnbox::proxy {

inline constexpr int kProtocolVersion = 1;
// The largest payload of one message (the 4-byte length not included).
inline constexpr size_t kMaxMessageBytes = 1 << 20;
// The largest "data" (input or output buffer), decoded: its base64 fits in one message.
inline constexpr size_t kMaxDataBytes = 512 << 10;
// The longest path (PATH_MAX without its NUL) and syscall name.
inline constexpr size_t kMaxPathBytes = 4095;
inline constexpr size_t kMaxNameBytes = 64;
// Nesting of JSON arrays/objects a payload may have (a call needs 2).
inline constexpr int kMaxJsonDepth = 8;
inline constexpr size_t kMaxFdsPerMessage = 1;
// Bounds of the network calls' members: a socket's domain (AF_MAX is 46), its protocol
// (IPPROTO_*, or an ethertype for AF_PACKET), and the sockaddr in "data" (sockaddr_storage).
inline constexpr int64_t kMaxDomain = 255;
inline constexpr int64_t kMaxSocketProtocol = 65535;
inline constexpr size_t kMaxSockaddrBytes = 128;
// Ids are JSON numbers: 1..2^53-1, so that every JSON implementation reads them exactly.
inline constexpr uint64_t kMaxId = (uint64_t{1} << 53) - 1;

// One proxied call, as the supervisor decoded it once (paths resolved to absolute, normalised
// strings; buffers read from the target once). Optional members are sent only when set.
struct Request {
  uint64_t id = 0;           // set by ProxyClient::Call; 1..kMaxId on the wire
  std::string name;          // "openat", as in the syscall table
  int64_t nr = -1;           // the syscall number in `abi`
  std::string abi = "x86_64";  // "x86_64" or "i386"
  pid_t pid = 0;             // the calling task (for logging and per-process state)
  std::array<uint64_t, 6> args{};  // the raw register arguments
  std::optional<std::string> path;  // absolute; any bytes (sent as "path_b64" if not UTF-8)
  std::optional<std::string> path2; // the second path (rename's and link's new name), likewise
  std::optional<int64_t> flags;     // open flags, AT_* flags
  std::optional<int64_t> mode;      // open mode, access mode
  std::optional<uint64_t> resolve;  // openat2's how.resolve
  std::optional<uint64_t> mask;     // statx's mask
  std::optional<uint64_t> size;     // the size of the target's output buffer (readlink's bufsiz)
  std::optional<std::string> data;  // an input buffer, at most kMaxDataBytes
  // connect, bind, sendto: the target socket's facts (docs/proxy.md "Network calls"); `data`
  // is then the sockaddr (at most kMaxSockaddrBytes).
  std::optional<int64_t> domain;     // AF_INET, AF_INET6, AF_UNIX...: 0..kMaxDomain
  std::optional<int64_t> sock_type;  // SOCK_STREAM... | SOCK_NONBLOCK | SOCK_CLOEXEC as the
                                     // target's file has them: 0..INT32_MAX
  std::optional<int64_t> protocol;   // 0..kMaxSocketProtocol
  // Without fd passing (docs/proxy.md "Without fd passing"): an open may be answered with a
  // stream (Response::stream) instead of an fd. Sent as "stream": true when set.
  bool stream = false;
};

// A stream the server offers instead of an fd when fds cannot cross the connection: the client
// opens a second connection to the same address, sends an attach message with `token` and then
// reads and writes raw bytes on it (docs/proxy.md "Without fd passing").
//   kRead:   the server sends the file's bytes, then closes. With `size` (a regular file): exactly
//            size bytes, at most kMaxStreamFileBytes, which the client materialises (a memfd);
//            without (a FIFO, a device): until EOF, relayed.
//   kWrite:  the client sends what the target writes; the server writes it to the file
//            sequentially and closes its side once it has written all of it (after the
//            client's EOF). It sends nothing.
//   kDuplex: both ways (a connected socket), relayed.
struct StreamOffer {
  enum class Kind { kRead, kWrite, kDuplex };
  std::string token;  // kStreamTokenBytes hex digits
  Kind kind = Kind::kRead;
  std::optional<uint64_t> size;  // kRead of a regular file: its size
};
// A token: 128 random bits as 32 lowercase hex digits.
inline constexpr size_t kStreamTokenBytes = 32;
// The largest file a read stream materialises (1 GiB); a larger one fails with EFBIG.
inline constexpr uint64_t kMaxStreamFileBytes = uint64_t{1} << 30;

// The answer to one call: a return value or an errno, an fd to install, bytes to write into the
// target's output buffer (what they mean depends on the call: docs/proxy.md).
struct Response {
  uint64_t id = 0;
  int64_t ret = 0;    // the call's return value when err == 0
  int err = 0;        // the errno the call fails with, 1..4095; 0 for success (an fd comes
                      // with an errno only for EINPROGRESS: a connect still in progress)
  core::UniqueFd fd;  // the fd the call returns, when the server passed one
  std::string data;   // at most kMaxDataBytes
  std::optional<StreamOffer> stream;  // instead of `fd` when fds cannot cross (never with it)
};

struct Hello {
  int version = kProtocolVersion;
  bool fd = false;                  // an fd is attached to this hello
  std::optional<bool> fd_passing;   // the server's answer: the client's fd arrived
  std::string software;             // "pwnbox 0.1.0", for messages; may be empty
};

// One decoded message. The fd received with it (if any) is in `fd` for hello and in
// response.fd for results; DecodeMessage closes an fd that the payload did not announce.
struct Message {
  enum class Type { kHello, kCall, kResult, kError, kAttach, kAttached };
  Type type = Type::kError;
  Hello hello;
  Request request;
  Response response;
  std::string error;     // kError's message
  std::string token;     // kAttach's stream token
  core::UniqueFd fd;     // kHello's fd
};

// Payload encoders (JSON text, without the length). Encoding a request fails only when it
// breaks a bound (id, path or data too long).
core::Result<std::string> EncodeRequest(const Request& request);
std::string EncodeResponse(const Response& response);  // "fd" is set when response.fd is
std::string EncodeHello(const Hello& hello);
std::string EncodeError(std::string_view message);
// The first message of a stream's connection (instead of a hello):
//   {"type":"attach","version":1,"token":HEX}            client -> server
//   {"type":"attached"}                                  server -> client; raw bytes follow
// (or an error message when the token is unknown or expired, and the connection is closed).
std::string EncodeAttach(std::string_view token);
std::string EncodeAttached();

// Decodes one payload; `fd` is the descriptor that came with it (or none). Checks the message's
// shape, types and bounds: an unknown "type", a missing or mistyped member, an fd announced but
// not received (or received but not announced) are errors.
core::Result<Message> DecodeMessage(std::string_view payload, core::UniqueFd fd = {});

// Framing. SendMessage writes the 4-byte length and `payload` (retrying short writes; no
// SIGPIPE), with `fd` attached when it is >= 0. Thread-compatible: callers serialise sends on
// one socket. An error's sys_errno is the socket's errno (EPIPE when the peer is gone).
core::Status SendMessage(int sock, std::string_view payload, int fd = -1);

// One received message: its payload and the fd attached to it, if any.
struct Frame {
  std::string payload;
  core::UniqueFd fd;
};

// Reads one message from `sock`. nullopt when the peer closed the connection between two
// messages; an error when it closed in the middle of one (sys_errno ECONNRESET), when
// the length is 0 or above kMaxMessageBytes (EMSGSIZE), when more than kMaxFdsPerMessage fds or
// fds after the first byte came (EPROTO; the extra fds are closed), when `timeout_ms` (-1:
// none) passed before the message's first byte (ETIMEDOUT: the stream is still in step) or
// after it (EIO: it is not). Received fds are close-on-exec.
core::Result<std::optional<Frame>> ReceiveMessage(int sock, int timeout_ms = -1);

// The 4-byte little-endian length that starts every message (docs/proxy.md "Framing").
inline constexpr size_t kLengthBytes = 4;
inline void EncodeLength(uint32_t len, unsigned char out[kLengthBytes]) {
  for (size_t i = 0; i < kLengthBytes; ++i) out[i] = static_cast<unsigned char>(len >> (8 * i));
}
inline uint32_t DecodeLength(const unsigned char in[kLengthBytes]) {
  return uint32_t{in[0]} | uint32_t{in[1]} << 8 | uint32_t{in[2]} << 16 | uint32_t{in[3]} << 24;
}

// The SCM_RIGHTS fds a recvmsg of this protocol's stream received in `msg`: the one allowed on
// a message's first byte (`first_byte`: the read began there) goes to *fd (when it is empty);
// every other one is closed. False when any was not allowed (more than kMaxFdsPerMessage, one
// after a message's first byte) or the control data was cut (MSG_CTRUNC): a protocol error.
bool TakeFds(msghdr* msg, bool first_byte, core::UniqueFd* fd);

// Base64 (RFC 4648, with padding), as "data" and "path_b64" use it. Decode rejects anything
// else (whitespace, bad padding) and output above `max_bytes`.
std::string Base64Encode(std::string_view bytes);
core::Result<std::string> Base64Decode(std::string_view text, size_t max_bytes = kMaxDataBytes);

}  // namespace pwnbox::proxy
