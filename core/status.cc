#include "core/status.h"

#include <cstring>

namespace pwnbox::core {

Error ErrnoError(int err, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  return Error(std::move(msg), err);
}

}  // namespace pwnbox::core
