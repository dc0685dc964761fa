#include "cli/options.h"

#include "cli/common.h"

namespace po = boost::program_options;

namespace pwnbox::cli {

bool ParseOptions(po::command_line_parser parser, const po::options_description& desc,
                  po::variables_map* vm, const std::string& command,
                  const po::positional_options_description* positional) {
  try {
    parser.options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    Fail(std::string(e.what()) + " (see `pwnbox " + command + " --help`)");
    return false;
  }
  return true;
}

}  // namespace pwnbox::cli
