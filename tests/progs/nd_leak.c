// Built with AddressSanitizer (tests/CMakeLists.txt): leaks 77 bytes, so that LeakSanitizer,
// which stops the program's threads with ptrace from a thread cloned with CLONE_UNTRACED,
// reports "detected memory leaks" at exit.
#include <stdio.h>
#include <stdlib.h>

void* volatile leaked;

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);  // LeakSanitizer ends the process without flushing
  leaked = malloc(77);
  leaked = NULL;
  puts("leaking 77 bytes");
  return 0;
}
