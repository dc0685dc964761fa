// `trace -e trace=NAME` selects syscalls that libseccomp 2.5.4 does not know (core's own table:
// mseal, setxattrat, ... 457-469) by name and by number; they are stopped by the trace filter's
// own prologue and decoded like any other.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

TEST(TraceNewSyscalls, SelectedByName) {
  auto r = Pwnbox({"trace", "-e", "trace=mseal,setxattrat", "--", Prog("tr_newsys")});
  EXPECT_EQ(r.status, 0) << r.err;
  auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 3u) << r.err;
  EXPECT_EQ(lines[0].rfind("mseal(NULL, 0, 0)", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("setxattrat(-1, \"x\", 0, \"n\", NULL, 0)", 0), 0u) << lines[1];
  EXPECT_TRUE(Contains(lines[1], "= -1 E")) << lines[1];
  EXPECT_EQ(lines[2], "+++ exited with 0 +++");
}

TEST(TraceNewSyscalls, SelectedByNumber) {
  auto r = Pwnbox({"trace", "-e", "trace=462", "--", Prog("tr_newsys")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Grep(r.err, "mseal(").size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "setxattrat(").size(), 0u) << r.err;
}

}  // namespace
}  // namespace pwnbox::testing
