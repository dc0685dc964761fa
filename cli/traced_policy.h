// A policy enforced through the tracer, for `trace --policy` and `record --policy`: its
// escalations and its denials stop at the tracer, which carries them out, so denied calls show
// in the trace (and the recording) with their errno, as strace shows them. Rules that go
// through notify (paths, redirect, proxy, or their own escalate = "notify") are served by the
// notify loop beside the tracer.
#pragma once

#include <memory>
#include <string>

#include "config/policy.h"
#include "core/status.h"
#include "filters/filters.h"
#include "supervisor/decider.h"
#include "supervisor/outcome.h"
#include "supervisor/policy_tracer.h"

namespace pwnbox::cli {

class TracedPolicy {
 public:
  // Loads and compiles `path`. `inner` (not owned) is the observer that sees the calls as the
  // policy made them end; reports go to `report_fd`.
  static core::Result<std::unique_ptr<TracedPolicy>> Load(const std::string& path,
                                                          supervisor::PtraceObserver& inner,
                                                          int report_fd);
  const filters::Program& program() const { return program_; }
  // The observer to give the PtraceMonitor.
  supervisor::PtraceObserver& observer() { return *tracer_; }
  // For the notify loop that serves the policy's path rules (Program::uses_notify).
  supervisor::Decider& decider() { return *decider_; }
  supervisor::Reporter& reporter() { return *reporter_; }
  // Kernel errors met while enforcing the policy.
  supervisor::Outcome& outcome() { return outcome_; }

 private:
  TracedPolicy(config::Policy policy, filters::Program program)
      : policy_(std::move(policy)), program_(std::move(program)) {}

  config::Policy policy_;
  filters::Program program_;
  std::unique_ptr<supervisor::Decider> decider_;
  std::unique_ptr<supervisor::Reporter> reporter_;
  std::unique_ptr<supervisor::PolicyTracer> tracer_;
  supervisor::Outcome outcome_;
};

}  // namespace pwnbox::cli
