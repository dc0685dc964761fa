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
  // strace's default for a value no entry names ("FSOPEN_???"), printed as a comment after the
  // hex value; nullptr: derived from the entries' common prefix (FSOPEN_CLOEXEC -> FSOPEN_);
  // "": no comment.
  const char* unknown = nullptr;
};

// nullptr when no table has that name.
const Xlat* FindXlat(std::string_view table);
std::span<const Xlat* const> AllXlats();

// "O_RDONLY|O_CLOEXEC", "PROT_READ|PROT_WRITE", "0" / "PROT_NONE" as strace prints them; bits
// no entry names are printed as "0x..." after the named ones, and a value with no named bit as
// "0x2 /* FSOPEN_??? */".
std::string FormatFlags(const Xlat& table, uint64_t value);
// "AF_INET", or, when no entry matches, strace's "0x7 /* SEEK_??? */".
std::string FormatEnum(const Xlat& table, uint64_t value);
// The "FSOPEN_???" of a table ("" when it has none).
std::string UnknownName(const Xlat& table);

}  // namespace pwnbox::core
