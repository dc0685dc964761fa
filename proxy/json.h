// pwnbox::proxy::Json: the JSON the proxy protocol needs (docs/proxy.md), parsed and written
// fast. Every proxied call is one message each way, and a general-purpose JSON library spent
// most of a call's user-space time here (nlohmann-json: 5.3 us to decode a 200-byte call, with a
// map node per member and locale-aware number parsing; this parser: well under 1 us).
//
// The parser takes all of RFC 8259 (members it does not know are ignored by the protocol, so
// any valid JSON must parse) and refuses everything else: invalid UTF-8, control characters in
// strings, lone surrogates in \u escapes, leading zeros, trailing bytes, nesting deeper than the
// caller's bound. Integers are kept exactly (int64 or uint64); a number with a fraction, an
// exponent, or out of 64-bit range is a "float" (kFloat: no value kept; the protocol has no use
// for one). Duplicate keys: the last one counts, as in most parsers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pwnbox::proxy {

class Json {
 public:
  enum class Kind { kNull, kBool, kInt, kUint, kFloat, kString, kArray, kObject };

  // Parses `text` (one value, surrounded by whitespace only), at most `max_depth` arrays and
  // objects deep. nullopt on any error (`*error` says what, when given).
  static std::optional<Json> Parse(std::string_view text, int max_depth,
                                   std::string* error = nullptr);

  Kind kind() const { return kind_; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  // An integer: kInt is negative, kUint non-negative.
  bool is_integer() const { return kind_ == Kind::kInt || kind_ == Kind::kUint; }
  bool is_unsigned() const { return kind_ == Kind::kUint; }

  bool as_bool() const { return bool_; }
  int64_t as_int() const { return int_; }      // kInt, or kUint <= INT64_MAX
  uint64_t as_uint() const { return uint_; }   // kUint
  const std::string& as_string() const { return string_; }

  // Arrays.
  size_t size() const { return items_.size(); }
  const Json& operator[](size_t i) const { return items_[i].second; }
  // Objects: the member named `key`, or null.
  const Json* find(std::string_view key) const;

 private:
  friend class JsonParser;
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  std::string string_;
  std::vector<std::pair<std::string, Json>> items_;  // array items (empty keys) or members
};

// Appends `s` to `out` as a JSON string (quoted, escaped). False, with nothing appended, when
// `s` is not valid UTF-8.
bool AppendJsonString(std::string* out, std::string_view s);

}  // namespace pwnbox::proxy
