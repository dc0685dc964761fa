// pwnbox::filters OCI/Docker seccomp profiles (JSON, read and written with nlohmann-json):
// conversion to and from config::Policy, for `pwnbox convert` and `compile --format oci`.
//
// Reading (docs/policy.md has the details): `defaultAction` (+ `defaultErrnoRet`),
// `architectures` or Docker's `archMap` (the x86_64 entry and its sub-architectures give
// options.abi), `syscalls[]` with `names`, `action`, `errnoRet`, `args` ({index, value,
// valueTwo, op}; SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the expected bits). Docker's
// conditional entries are resolved as Docker does on this machine for a container with Docker's
// default capability set: `includes.caps` (all needed), `excludes.caps` (any excludes),
// `includes.arches` / `excludes.arches` against "amd64", `includes.minKernel` /
// `excludes.minKernel` against the running kernel. Entries become rules in file order (first
// match); names libseccomp does not know for any listed ABI are dropped with a note, as runc does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "core/status.h"

namespace pwnbox::filters {

// Docker's default capability set (moby oci/caps/defaults.go).
const std::vector<std::string>& DockerDefaultCapabilities();

// Parses an OCI/Docker seccomp profile. `name` is used for messages and rule locations.
// `notes` receives what was dropped or resolved (conditional entries, unknown names).
core::Result<config::Policy> PolicyFromOci(std::string_view json, const std::string& name,
                                           std::vector<std::string>* notes = nullptr);

// Writes `policy` as an OCI seccomp profile (pretty JSON). Rules are written one entry each when
// that is exact under libseccomp's (unordered) semantics; otherwise the compiled, disjoint
// condition sets are written. Fails for rules that need user space (paths, return, redirect,
// modify, proxy, log = true) and for syscalls the compiler had to escalate: OCI cannot express
// them. The io_uring guard is written as an entry with comment kIoUringGuardComment.
inline constexpr std::string_view kIoUringGuardComment = "pwnbox io_uring guard";
// pwnbox's guards (filters::Guards()) are written first, each with a comment starting so; read
// back, they are skipped (every compiled policy has them).
inline constexpr std::string_view kGuardCommentPrefix = "pwnbox guard: ";
core::Result<std::string> PolicyToOci(const config::Policy& policy,
                                      std::vector<std::string>* notes = nullptr);

}  // namespace pwnbox::filters
