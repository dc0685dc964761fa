// A large command line and environment across exec: the program re-executes itself with 3000
// arguments (one of 64 KiB) and a 100 KiB environment variable; the new image checks every byte.
#include "co.h"

extern char** environ;

static unsigned long sum(const char* s, unsigned long h) {
  for (; *s; ++s) h = h * 31 + (unsigned char)*s;
  return h;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    CHECK(argc == 3002);
    unsigned long h = 0;
    for (int i = 2; i < argc; ++i) h = sum(argv[i], h);
    const char* big = getenv("CO_BIG");
    CHECK(big != NULL && strlen(big) == 100 * 1024);
    for (size_t i = 0; i < 100 * 1024; ++i) CHECK(big[i] == 'a' + (char)(i % 26));
    CHECK(strlen(argv[2]) == 64 * 1024);
    printf("child saw %d args, hash %lx, env %zu bytes\n", argc, h, strlen(big));
    return 0;
  }
  static char* args[3003];
  static char nums[3000][12];
  args[0] = argv[0];
  args[1] = "child";
  char* huge = malloc(64 * 1024 + 1);
  memset(huge, 'x', 64 * 1024);
  huge[64 * 1024] = 0;
  args[2] = huge;
  for (int i = 1; i < 3000; ++i) {
    snprintf(nums[i], sizeof nums[i], "arg%d", i);
    args[2 + i] = nums[i];
  }
  args[3002] = NULL;
  char* big = malloc(100 * 1024 + 8);
  strcpy(big, "CO_BIG=");
  for (size_t i = 0; i < 100 * 1024; ++i) big[7 + i] = 'a' + (char)(i % 26);
  big[7 + 100 * 1024] = 0;
  CHECK(putenv(big) == 0);
  execve("/proc/self/exe", args, environ);
  CHECK(!"execve");
}
