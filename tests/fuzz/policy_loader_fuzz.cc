// libFuzzer target for the policy loader: any bytes as a TOML policy. Loading must return a
// policy or a FILE:LINE:COL error, never crash or hang; a policy that loads must survive the
// round trip through its own TOML (config::ToToml) unchanged.
//
// Includes resolve against an empty temporary directory, so relative ones find nothing;
// absolute ones may read regular files of this machine (harmless: they are only parsed) and
// must refuse devices and FIFOs (include = ["/dev/zero"]).
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static char dir[] = "/tmp/pwnbox-policy-fuzz-XXXXXX";
  static const std::string name = [] {
    if (mkdtemp(dir) == nullptr) abort();
    atexit([] { rmdir(dir); });  // (it stays empty)
    return std::string(dir) + "/fuzz.toml";
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = pwnbox::config::LoadPolicyString(text, name);
  if (!policy.ok()) {
    // Every error says where: FILE:LINE:COL (or, for an unreadable file, "cannot ...").
    const std::string& m = policy.error().message();
    if (m.rfind(name + ":", 0) != 0 && m.find("cannot") == std::string::npos) {
      std::fprintf(stderr, "error without a location: %s\n", m.c_str());
      abort();
    }
    return 0;
  }
  const std::string once = policy->ToString();
  const std::string toml = pwnbox::config::ToToml(*policy);
  auto again = pwnbox::config::LoadPolicyString(toml, name);
  if (!again.ok()) {
    std::fprintf(stderr, "ToToml output does not load:\n%s\n--\n%s\n", toml.c_str(),
                 again.error().message().c_str());
    abort();
  }
  if (again->ToString() != once) {
    std::fprintf(stderr, "round trip changed the policy:\n%s\n--\n%s\n", once.c_str(),
                 again->ToString().c_str());
    abort();
  }
  return 0;
}
