# cmake -DIN=policy.toml -DOUT=file.cc -P embed_policy.cmake: writes IN as a C++ raw string.
file(READ ${IN} content)
string(FIND "${content}" ")pwnbox_toml\"" bad)
if(NOT bad EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT} "// Generated from ${IN} by config/embed_policy.cmake. Do not edit.\n"
  "namespace pwnbox::config {\n"
  "extern const char kDefaultPolicyToml[];\n"
  "const char kDefaultPolicyToml[] = R\"pwnbox_toml(${content})pwnbox_toml\";\n"
  "}  // namespace pwnbox::config\n")
