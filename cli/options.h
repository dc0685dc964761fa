// Boost.Program_options at the CLI's one edge: parse, and turn Boost's exceptions into the
// one-line `pwnbox:` error of SPEC.md.
#pragma once

#include <boost/program_options.hpp>
#include <string>

namespace pwnbox::cli {

// Runs `parser` with `desc` (and `positional`, when given) into *vm. On a usage error prints
// "pwnbox: WHAT (see `pwnbox COMMAND --help`)" and returns false: exit with kExitFailure.
bool ParseOptions(boost::program_options::command_line_parser parser,
                  const boost::program_options::options_description& desc,
                  boost::program_options::variables_map* vm, const std::string& command,
                  const boost::program_options::positional_options_description* positional =
                      nullptr);

}  // namespace pwnbox::cli
