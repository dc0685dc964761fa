#include "supervisor/outcome.h"

#include <sys/wait.h>

#include <cstring>

namespace pwnbox::supervisor {

void Outcome::Ended(int wait_status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (end_ != End::kRunning) return;
  end_ = WIFSIGNALED(wait_status) ? End::kSignaled : End::kExited;
  wait_status_ = wait_status;
}

void Outcome::Failed(std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (end_ == End::kSupervisorError) return;
  end_ = End::kSupervisorError;
  reason_ = std::move(reason);
}

void Outcome::KernelError(std::string_view what, int err) {
  kernel_errors_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (!first_error_.empty()) return;
  first_error_ = std::string(what) + ": " + std::strerror(err);
}

Outcome::End Outcome::end() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_;
}

int Outcome::wait_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wait_status_;
}

std::string Outcome::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

std::string Outcome::first_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_error_;
}

}  // namespace pwnbox::supervisor
