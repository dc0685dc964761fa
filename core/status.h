// pwnbox::core::Error, Status and Result<T>: how every pwnbox library reports failure.
//
// No exceptions cross a module boundary: functions that can fail return Status or Result<T>
// ([[nodiscard]]). Third-party code that throws (TOML++, Boost) is caught at its one edge and
// turned into an Error there. The message is meant for the user: it says what failed and, where
// it can, what to do ("pwnbox: " is added by the CLI, not here).
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pwnbox::core {

class Error {
 public:
  Error() = default;
  explicit Error(std::string message, int sys_errno = 0)
      : message_(std::move(message)), errno_(sys_errno) {}

  const std::string& message() const { return message_; }
  // The errno behind the error, 0 when it did not come from a system call.
  int sys_errno() const { return errno_; }
  std::string ToString() const { return message_; }

 private:
  std::string message_;
  int errno_ = 0;
};

// "what: strerror(err)" with the errno kept, e.g. ErrnoError(errno, "ptrace(PTRACE_SEIZE)").
Error ErrnoError(int err, std::string_view what);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  static Status Ok() { return Status(); }
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(status.error()) {}  // NOLINT: only from a failed Status

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace pwnbox::core

#define PWNBOX_CONCAT_INNER_(a, b) a##b
#define PWNBOX_CONCAT_(a, b) PWNBOX_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function when it failed.
#define PWNBOX_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    auto pwnbox_status_ = (expr);                    \
    if (!pwnbox_status_.ok()) return pwnbox_status_.error(); \
  } while (0)

// `lhs = *expr` when expr succeeded, otherwise returns its error.
#define PWNBOX_ASSIGN_OR_RETURN(lhs, expr)                          \
  auto PWNBOX_CONCAT_(pwnbox_result_, __LINE__) = (expr);           \
  if (!PWNBOX_CONCAT_(pwnbox_result_, __LINE__).ok())               \
    return PWNBOX_CONCAT_(pwnbox_result_, __LINE__).error();        \
  lhs = std::move(PWNBOX_CONCAT_(pwnbox_result_, __LINE__)).value()
