// proxy::Json (proxy/json.h), the protocol's own JSON parser and string writer: all of RFC 8259
// accepted, everything else refused, integers exact. tests/fuzz/proxy_protocol_fuzz.cc checks it
// against nlohmann-json on any bytes.
#include "proxy/json.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace pwnbox::proxy {
namespace {

using Kind = Json::Kind;

TEST(ProxyJson, ParsesWhatACallIsMadeOf) {
  auto j = Json::Parse(R"( {"type":"call","id":12,"args":[18446744073709551615,0,1,2,3,4],
      "flags":-9223372036854775808,"neg":-1,"zero":-0,"ok":true,"no":false,"nil":null,
      "esc":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00","f":1.5e3,"big":18446744073709551616,
      "nested":{"x":[[]]},"type":"last"} )", 8);
  ASSERT_TRUE(j.has_value());
  ASSERT_TRUE(j->is_object());
  EXPECT_EQ(j->find("type")->as_string(), "last");  // the last of duplicate keys
  EXPECT_EQ(j->find("id")->as_uint(), 12u);
  const Json& args = *j->find("args");
  ASSERT_TRUE(args.is_array());
  ASSERT_EQ(args.size(), 6u);
  EXPECT_EQ(args[0].as_uint(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(j->find("flags")->kind(), Kind::kInt);
  EXPECT_EQ(j->find("flags")->as_int(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(j->find("neg")->as_int(), -1);
  EXPECT_TRUE(j->find("zero")->is_unsigned());
  EXPECT_TRUE(j->find("ok")->as_bool());
  EXPECT_FALSE(j->find("no")->as_bool());
  EXPECT_EQ(j->find("nil")->kind(), Kind::kNull);
  EXPECT_EQ(j->find("esc")->as_string(), "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(j->find("f")->kind(), Kind::kFloat);
  EXPECT_EQ(j->find("big")->kind(), Kind::kFloat);  // beyond 64 bits: not an integer
  EXPECT_EQ(j->find("absent"), nullptr);
}

TEST(ProxyJson, RefusesWhatIsNotJson) {
  for (const char* bad :
       {"", " ", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}", "01", "-", "1.", "1e", "+1",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\nb\"",
        "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "tru", "nul",
        "{} {}", "{}x", "NaN", "[1 2]"}) {
    std::string why;
    EXPECT_FALSE(Json::Parse(bad, 8, &why).has_value()) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  // Nesting: 8 levels are fine, 9 are not.
  EXPECT_TRUE(Json::Parse("[[[[[[[[1]]]]]]]]", 8).has_value());
  std::string why;
  EXPECT_FALSE(Json::Parse("[[[[[[[[[1]]]]]]]]]", 8, &why).has_value());
  EXPECT_EQ(why.rfind("nesting too deep", 0), 0u) << why;
}

TEST(ProxyJson, WritesStringsEscapedAndRefusesInvalidUtf8) {
  std::string out;
  ASSERT_TRUE(AppendJsonString(&out, std::string("a\"\\\n\x01/\xc3\xa9", 8)));
  EXPECT_EQ(out, "\"a\\\"\\\\\\n\\u0001/\xc3\xa9\"");
  auto back = Json::Parse(out, 1);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->as_string(), std::string("a\"\\\n\x01/\xc3\xa9", 8));
  std::string untouched = "x";
  EXPECT_FALSE(AppendJsonString(&untouched, "\xff"));
  EXPECT_EQ(untouched, "x");
}

}  // namespace
}  // namespace pwnbox::proxy
