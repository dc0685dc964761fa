// Calls uname(2) into a buffer filled with 'Z' and prints its result and whether the buffer is
// untouched ("rc=-1 errno=5 untouched") or holds a host name ("rc=0 nodename=NAME"): a proxied
// uname must write exactly a struct utsname, or nothing.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

int main(void) {
  struct {
    struct utsname u;
    char guard[64];
  } b;
  memset(&b, 'Z', sizeof b);
  int rc = uname(&b.u);
  int err = errno;
  int guard_ok = 1;
  for (size_t i = 0; i < sizeof b.guard; ++i) guard_ok &= b.guard[i] == 'Z';
  if (rc != 0) {
    int untouched = guard_ok;
    for (size_t i = 0; i < sizeof b.u; ++i) untouched &= ((char*)&b.u)[i] == 'Z';
    printf("rc=%d errno=%d %s\n", rc, err, untouched ? "untouched" : "WRITTEN");
  } else {
    printf("rc=0 nodename=%s%s\n", b.u.nodename, guard_ok ? "" : " GUARD-WRITTEN");
  }
  return 0;
}
