#include "cli/proxy_cmd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/options.h"
#include "cli/version.h"
#include "proxy/server.h"

namespace po = boost::program_options;

namespace pwnbox::cli {
namespace {

int g_stop_write = -1;  // the write end of the stop pipe, for the signal handler

void OnSignal(int) {
  char byte = 0;
  (void)!write(g_stop_write, &byte, 1);
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    if (j > i) out.push_back(list.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

int ProxyCommand(int argc, char** argv) {
  po::options_description desc(
      "usage: pwnbox proxy serve --listen unix:PATH [--root DIR] [--allow LIST]\n"
      "                          [--allow-connect LIST]\n\n"
      "Serves the calls that policies send with `action = \"proxy\"` (and any client of the\n"
      "protocol in docs/proxy.md) until SIGINT or SIGTERM: opens (the fd is passed back),\n"
      "stat, statx, access, readlink beneath DIR, confined by the kernel (openat2 with\n"
      "RESOLVE_IN_ROOT: \"..\" and symlinks stay beneath DIR), and uname/gethostname. Many\n"
      "clients at once; needs no privileges: it acts with those of its user. With\n"
      "--allow-connect, proxied connect/bind/sendto calls get a socket made here, in this\n"
      "network namespace, for the listed addresses only");
  desc.add_options()
      ("help,h", "show this help")
      ("listen", po::value<std::string>(),
       "the unix socket to listen on (a stale socket file there is replaced); whoever can "
       "connect to it can use the server")
      ("root", po::value<std::string>()->default_value("/"),
       "the directory the clients' paths are resolved in, as their \"/\"")
      ("allow", po::value<std::vector<std::string>>(),
       "comma list of globs, relative to DIR, naming what may be opened: \"etc/hostname\", "
       "\"data/**\" (* and ? within a name, ** across); the rest fails with EACCES. "
       "Default: everything beneath DIR; may be repeated")
      ("allow-connect", po::value<std::vector<std::string>>(),
       "comma list of the addresses proxied connect, bind and sendto calls may use: "
       "\"HOST:PORT\", \"[V6]:PORT\", \"HOST:*\" (any port), \"unix:/PATH\" (never an "
       "abstract name); HOST an IP address or a name resolved once at start. The rest fails "
       "with EACCES. Default: none (every network call fails with EACCES); may be repeated");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("command", -1);
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(argc, argv), all, &vm, "proxy", &pos))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  std::vector<std::string> words;
  if (vm.count("command")) words = vm["command"].as<std::vector<std::string>>();
  if (words.size() != 1 || words[0] != "serve")
    return Fail("proxy: the one subcommand is `serve`: pwnbox proxy serve --listen unix:PATH "
                "[--root DIR] [--allow LIST] [--allow-connect LIST]");
  if (!vm.count("listen")) return Fail("proxy serve needs --listen unix:PATH");

  proxy::ServerOptions options;
  options.root = vm["root"].as<std::string>();
  if (vm.count("allow"))
    for (const std::string& list : vm["allow"].as<std::vector<std::string>>())
      for (std::string& glob : SplitList(list)) options.allow.push_back(std::move(glob));
  if (vm.count("allow-connect")) {
    for (const std::string& list : vm["allow-connect"].as<std::vector<std::string>>())
      for (std::string& entry : SplitList(list)) options.allow_connect.push_back(std::move(entry));
  }
  options.software = "pwnbox " PWNBOX_VERSION " proxy serve";
  options.log = [](const std::string& line) {
    std::fprintf(stderr, "pwnbox proxy serve: %s\n", line.c_str());
  };
  // A bad --allow-connect entry fails here, in one line, before anything listens.
  auto server = proxy::Server::Create(options);
  if (!server.ok()) return Fail(server.error());

  int stop[2];
  if (pipe2(stop, O_CLOEXEC | O_NONBLOCK) != 0) return Fail(core::ErrnoError(errno, "pipe2"));
  g_stop_write = stop[1];
  InstallSignalHandlers(OnSignal);  // also ignores SIGPIPE: a client gone is not our end

  const std::string address = vm["listen"].as<std::string>();
  auto sock = proxy::Listen(address);
  if (!sock.ok()) return Fail(sock.error());
  // Clients send the modes of what they create with their own umask applied (pwnbox applies
  // the target's, as the kernel would): the server's own must not take bits away again. Set
  // after the socket file exists, which keeps the mode the user's umask gave it.
  umask(0);
  // The one line a script (or a test) waits for: the socket accepts from here on.
  std::fprintf(stderr, "pwnbox proxy serve: serving %s on %s\n", options.root.c_str(),
               address.c_str());
  core::Status status = (*server)->Run(sock->get(), stop[0]);
  unlink(address.substr(5).c_str());  // Listen accepted only unix:PATH
  if (!status.ok()) return Fail(status.error());
  return 0;
}

}  // namespace pwnbox::cli
