// libFuzzer target for the proxy protocol reader (proxy/protocol.h), what `pwnbox proxy serve`
// and ProxyClient run on every byte a peer sends: any bytes as a stream on a unix socket, read
// message by message with proxy::ReceiveMessage and decoded with proxy::DecodeMessage until the
// stream ends or breaks; and the same bytes as one payload. Every input must give messages or
// an error, never a crash, a hang or an allocation beyond kMaxMessageBytes; a call or result
// that decodes must encode and decode again to the same values. proxy::Json (the protocol's own
// parser) must accept exactly what nlohmann-json accepts (nesting within the bound), and parse
// the same strings.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proxy/json.h"
#include "proxy/protocol.h"

namespace {

using pwnbox::proxy::DecodeMessage;
using pwnbox::proxy::Message;

void CheckRoundTrip(const Message& m) {
  if (m.type == Message::Type::kCall) {
    auto text = pwnbox::proxy::EncodeRequest(m.request);
    if (!text.ok()) __builtin_trap();  // what decoded is within the bounds
    auto again = DecodeMessage(*text);
    if (!again.ok()) __builtin_trap();
    const auto& a = m.request;
    const auto& b = again->request;
    if (a.id != b.id || a.name != b.name || a.nr != b.nr || a.abi != b.abi || a.pid != b.pid ||
        a.args != b.args || a.path != b.path || a.flags != b.flags || a.mode != b.mode ||
        a.resolve != b.resolve || a.mask != b.mask || a.size != b.size || a.data != b.data)
      __builtin_trap();
  } else if (m.type == Message::Type::kResult && !m.response.fd) {
    auto again = DecodeMessage(pwnbox::proxy::EncodeResponse(m.response));
    if (!again.ok() || again->response.id != m.response.id ||
        again->response.err != m.response.err || again->response.data != m.response.data ||
        (m.response.err == 0 && again->response.ret != m.response.ret))
      __builtin_trap();
  }
}

}  // namespace

// Differential: the protocol's parser against nlohmann-json's on the same bytes.
void CheckJson(std::string_view bytes) {
  // nlohmann-json takes a NUL byte outside a string as the end of the input; RFC 8259 (and
  // proxy::Json) do not: compare only inputs without one.
  if (bytes.find('\0') != std::string_view::npos) return;
  std::string why;
  auto mine = pwnbox::proxy::Json::Parse(bytes, 64, &why);
  if (!mine && why.rfind("nesting too deep", 0) == 0) return;
  const bool theirs = nlohmann::json::accept(bytes.begin(), bytes.end());
  if (mine && !theirs) {
    // nlohmann-json also refuses a number too large for a double (1e999, a 400-digit integer),
    // which RFC 8259 allows and proxy::Json takes as a float: the only difference allowed.
    try {
      (void)nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::out_of_range& e) {
      if (e.id == 406) return;
    } catch (const nlohmann::json::exception&) {
    }
    __builtin_trap();
  }
  if (!mine && theirs) __builtin_trap();
  if (!mine || !mine->is_object()) return;
  auto ref = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!ref.is_object()) return;  // discarded: a number accept() took but parse() overflowed
  for (const auto& [key, value] : ref.items()) {
    const pwnbox::proxy::Json* v = mine->find(key);
    if (v == nullptr) __builtin_trap();
    if (value.is_string() && (!v->is_string() || v->as_string() != value.get<std::string>()))
      __builtin_trap();
    if (value.is_number_unsigned() && (!v->is_unsigned() || v->as_uint() != value.get<uint64_t>()))
      __builtin_trap();
    if (value.is_number_integer() && !value.is_number_unsigned() &&
        (!v->is_integer() || v->as_int() != value.get<int64_t>()))
      __builtin_trap();  // (-0 is an unsigned 0 here, a signed one there)
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) size = 64 * 1024;  // stays within the socket's buffer
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckJson(bytes);
  if (auto m = DecodeMessage(bytes); m.ok()) CheckRoundTrip(*m);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 0;
  size_t off = 0;
  while (off < size) {
    ssize_t n = write(sv[0], bytes.data() + off, size - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(sv[0]);
  for (int i = 0; i < 1000; ++i) {
    auto frame = pwnbox::proxy::ReceiveMessage(sv[1], 1000);
    if (!frame.ok() || !frame->has_value()) break;
    auto m = DecodeMessage((*frame)->payload, std::move((*frame)->fd));
    if (m.ok()) CheckRoundTrip(*m);
  }
  close(sv[1]);
  return 0;
}
