#include "cli/traced_policy.h"

namespace pwnbox::cli {

core::Result<std::unique_ptr<TracedPolicy>> TracedPolicy::Load(const std::string& path,
                                                               supervisor::PtraceObserver& inner,
                                                               int report_fd) {
  PWNBOX_ASSIGN_OR_RETURN(config::Policy policy, config::LoadPolicyFile(path));
  if (auto why = supervisor::Decider::Unsupported(policy)) return core::Error(*why);
  // The tracer is the default backend here (denials then show as strace shows them); a rule's
  // own `escalate` key, and the routes actions force (paths, redirect, proxy: notify), still
  // hold, and the notify loop serves them beside the tracer (RunTraced).
  policy.options.escalate = config::Options::Escalate::kPtrace;
  filters::CompileOptions copts;
  copts.complain = true;  // every denial becomes an escalation, carried out by the tracer
  PWNBOX_ASSIGN_OR_RETURN(filters::Program program, filters::Compile(policy, copts));
  std::unique_ptr<TracedPolicy> tp(new TracedPolicy(std::move(policy), std::move(program)));
  tp->decider_ = std::make_unique<supervisor::Decider>(tp->policy_, false);
  tp->reporter_ = std::make_unique<supervisor::Reporter>(report_fd, tp->policy_);
  tp->tracer_ =
      std::make_unique<supervisor::PolicyTracer>(*tp->decider_, tp->reporter_.get(), &inner,
                                                 &tp->outcome_);
  return tp;
}

}  // namespace pwnbox::cli
