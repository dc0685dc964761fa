// pwnbox::core flag and constant tables ("xlat", as strace calls them): value <-> name for
// open flags, PROT_*, MAP_*, CLONE_*, AF_*, ... Shared by the decoder (printing) and the policy
// language (symbolic constants in `args` conditions).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pwnbox::core {

struct XlatEntry {
  uint64_t value;
  const char* name;
};

struct Xlat {
  const char* name;  // table name, referenced by ArgSpec::table: "open_flags", "prot", ...
  std::span<const XlatEntry> entries;
  bool is_flags;     // bit set (printed A|B|0x40) or enumeration (printed NAME or number)
};

// nullptr when no table has that name.
const Xlat* FindXlat(std::string_view table);
std::span<const Xlat* const> AllXlats();

// "O_RDONLY|O_CLOEXEC", "PROT_READ|PROT_WRITE", "0" / "PROT_NONE" as strace prints them; bits
// no entry names are printed as "0x..." after the named ones.
std::string FormatFlags(const Xlat& table, uint64_t value);
// "AF_INET", or the number in decimal when no entry matches.
std::string FormatEnum(const Xlat& table, uint64_t value);

}  // namespace pwnbox::core
