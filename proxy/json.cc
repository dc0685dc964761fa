#include "proxy/json.h"

#include <cstring>
#include <limits>

namespace pwnbox::proxy {
namespace {

// The length of the UTF-8 sequence at s[i] (1..4), or 0 when it is not a valid one (overlong
// forms, surrogates and code points above U+10FFFF are invalid, as RFC 3629 says).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

class JsonParser {
 public:
  JsonParser(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  bool ParseDocument(Json* out) {
    SkipSpace();
    if (!ParseValue(out, 0)) return false;
    SkipSpace();
    if (i_ != s_.size()) return Fail("bytes after the value");
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool Fail(const char* what) {
    if (error_.empty()) error_ = std::string(what) + " at byte " + std::to_string(i_);
    return false;
  }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return Fail("an unknown literal");
    i_ += word.size();
    return true;
  }

  bool ParseValue(Json* out, int depth) {
    if (i_ >= s_.size()) return Fail("the end of the text where a value was expected");
    switch (s_[i_]) {
      case '{': return ParseObject(out, depth + 1);
      case '[': return ParseArray(out, depth + 1);
      case '"':
        out->kind_ = Json::Kind::kString;
        return ParseString(&out->string_);
      case 't':
        out->kind_ = Json::Kind::kBool;
        out->bool_ = true;
        return Literal("true");
      case 'f':
        out->kind_ = Json::Kind::kBool;
        out->bool_ = false;
        return Literal("false");
      case 'n':
        out->kind_ = Json::Kind::kNull;
        return Literal("null");
      default:
        return ParseNumber(out);
    }
  }

  bool ParseObject(Json* out, int depth) {
    if (depth > max_depth_) return Fail("nesting too deep");
    out->kind_ = Json::Kind::kObject;
    out->items_.reserve(16);  // a call has 10 to 16 members: no regrowth
    ++i_;  // '{'
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] != '"') return Fail("a member name was expected");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] != ':') return Fail("':' was expected");
      ++i_;
      SkipSpace();
      Json value;
      if (!ParseValue(&value, depth)) return false;
      // The last of duplicate keys counts.
      bool replaced = false;
      for (auto& [k, v] : out->items_)
        if (k == key) {
          v = std::move(value);
          replaced = true;
          break;
        }
      if (!replaced) out->items_.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (i_ >= s_.size()) return Fail("the end of the text in an object");
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') {
        ++i_;
        return true;
      }
      return Fail("',' or '}' was expected");
    }
  }

  bool ParseArray(Json* out, int depth) {
    if (depth > max_depth_) return Fail("nesting too deep");
    out->kind_ = Json::Kind::kArray;
    out->items_.reserve(6);  // "args"
    ++i_;  // '['
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return true;
    }
    while (true) {
      SkipSpace();
      Json value;
      if (!ParseValue(&value, depth)) return false;
      out->items_.emplace_back(std::string(), std::move(value));
      SkipSpace();
      if (i_ >= s_.size()) return Fail("the end of the text in an array");
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') {
        ++i_;
        return true;
      }
      return Fail("',' or ']' was expected");
    }
  }

  bool Hex4(uint32_t* out) {
    if (i_ + 4 > s_.size()) return Fail("a short \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Fail("a bad \\u escape");
    }
    *out = v;
    return true;
  }

  bool ParseString(std::string* out) {
    ++i_;  // '"'
    out->clear();
    while (true) {
      // The plain run up to the next quote, backslash or control character, copied at once.
      size_t j = i_;
      while (j < s_.size()) {
        const unsigned char c = static_cast<unsigned char>(s_[j]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        if (c < 0x80) {
          ++j;
          continue;
        }
        const size_t n = Utf8Length(s_, j);
        if (n == 0) {
          i_ = j;
          return Fail("invalid UTF-8 in a string");
        }
        j += n;
      }
      out->append(s_.data() + i_, j - i_);
      i_ = j;
      if (i_ >= s_.size()) return Fail("an unterminated string");
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c != '\\') return Fail("a control character in a string");
      if (++i_ >= s_.size()) return Fail("an unterminated escape");
      const char e = s_[i_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return Fail("a lone low surrogate");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low;
            if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
              return Fail("a lone high surrogate");
            i_ += 2;
            if (!Hex4(&low)) return false;
            if (low < 0xdc00 || low > 0xdfff) return Fail("a lone high surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return Fail("an unknown escape");
      }
    }
  }

  bool ParseNumber(Json* out) {
    const size_t start = i_;
    const bool negative = s_[i_] == '-';
    if (negative) ++i_;
    if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return Fail("an unexpected character");
    if (s_[i_] == '0' && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9')
      return Fail("a number with a leading zero");
    uint64_t magnitude = 0;
    bool overflow = false;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      const uint64_t digit = static_cast<uint64_t>(s_[i_] - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) overflow = true;
      else magnitude = magnitude * 10 + digit;
      ++i_;
    }
    bool real = false;
    if (i_ < s_.size() && s_[i_] == '.') {
      real = true;
      ++i_;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return Fail("a bad fraction");
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      real = true;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return Fail("a bad exponent");
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    (void)start;
    constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;  // -INT64_MIN
    if (real || overflow || (negative && magnitude > kMinMagnitude)) {
      out->kind_ = Json::Kind::kFloat;
      return true;
    }
    if (negative && magnitude != 0) {
      out->kind_ = Json::Kind::kInt;
      out->int_ = magnitude == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                             : -static_cast<int64_t>(magnitude);
    } else {
      out->kind_ = Json::Kind::kUint;  // "-0" too: zero
      out->uint_ = magnitude;
      out->int_ = static_cast<int64_t>(magnitude);
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  int max_depth_;
  std::string error_;
};

std::optional<Json> Json::Parse(std::string_view text, int max_depth, std::string* error) {
  JsonParser parser(text, max_depth);
  Json value;
  if (!parser.ParseDocument(&value)) {
    if (error) *error = parser.error();
    return std::nullopt;
  }
  return value;
}

const Json* Json::find(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (const auto& [k, v] : items_)
    if (k == key) return &v;
  return nullptr;
}

bool AppendJsonString(std::string* out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Length(s, i);
    if (n == 0) return false;
    i += n;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  *out += '"';
  size_t run = 0;  // start of the bytes not copied yet
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        *out += "\\u00";
        *out += kHex[c >> 4];
        *out += kHex[c & 15];
    }
  }
  out->append(s.data() + run, s.size() - run);
  *out += '"';
  return true;
}

}  // namespace pwnbox::proxy
