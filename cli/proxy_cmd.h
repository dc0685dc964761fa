// pwnbox proxy serve --listen unix:PATH [--root DIR] [--allow LIST]: serves proxied calls
// (docs/proxy.md) beneath DIR to any number of clients, until SIGINT/SIGTERM. The work is
// proxy::Server's; this is argument parsing and the listening socket's life.
//
// Exit status: 0 when stopped by a signal, 125 on bad usage or when it cannot listen.
#pragma once

namespace pwnbox::cli {

// argv[0] is "proxy".
int ProxyCommand(int argc, char** argv);

}  // namespace pwnbox::cli
