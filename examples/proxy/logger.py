#!/usr/bin/env python3
"""A logging pass-through for pwnbox's proxy protocol (docs/proxy.md): every proxied call is
forwarded unchanged to an upstream backend (a `pwnbox proxy serve` socket), its result (and
fd) passed back unchanged, and one line per call written to stderr (pwnbox's, under exec:).

    backend = "exec:python3 examples/proxy/logger.py /run/p.sock"

A template for handlers that change some calls and forward the rest: edit `forward`.
"""
import socket, sys

import handler  # receive, send (the framing)


class Upstream:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        proof = open("/dev/null", "rb")
        handler.send(self.sock, {"type": "hello", "version": 1, "fd": True, "software": "logger.py"},
                     [proof.fileno()])
        proof.close()
        hello, fds = handler.receive(self.sock)
        if not hello or hello.get("type") != "hello":
            sys.exit("logger.py: upstream refused the hello: %r" % (hello,))
        self.fd_passing = bool(hello.get("fd_passing")) and bool(fds)
        for fd in fds:
            handler.os.close(fd)
        self.next_id = 1

    def call(self, call):
        """Forwards `call` (with an id of ours); returns the result and its fd (or None)."""
        ours = dict(call, id=self.next_id)
        self.next_id += 1
        handler.send(self.sock, ours)
        result, fds = handler.receive(self.sock)
        if result is None or result.get("type") != "result" or result.get("id") != ours["id"]:
            sys.exit("logger.py: upstream answered %r" % (result,))
        return result, (fds[0] if fds else None)


def forward(upstream, call):
    result, fd = upstream.call(call)
    outcome = ("errno %d" % result["errno"]) if "errno" in result else (
        "fd" if result.get("fd") else "ret %d" % result.get("ret", 0))
    print("logger.py: pid %s %s %s -> %s" % (call.get("pid"), call["name"],
                                            call.get("path", ""), outcome),
          file=sys.stderr, flush=True)
    return dict(result, id=call["id"]), fd


def serve(sock, upstream):
    hello, fds = handler.receive(sock)
    if not hello or hello.get("type") != "hello" or hello.get("version") != 1:
        return handler.send(sock, {"type": "error", "message": "this handler speaks version 1"})
    # fds cross only when they cross both hops.
    passing = bool(fds) and upstream.fd_passing
    handler.send(sock, {"type": "hello", "version": 1, "fd": passing, "fd_passing": passing},
                 fds[:1] if passing else [])
    for fd in fds:
        handler.os.close(fd)
    while True:
        call, fds = handler.receive(sock)
        for fd in fds:
            handler.os.close(fd)
        if call is None:
            return
        result, fd = forward(upstream, call)
        handler.send(sock, result, [fd] if fd is not None else [])
        if fd is not None:
            handler.os.close(fd)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: logger.py UPSTREAM_SOCKET")
    serve(socket.socket(fileno=0), Upstream(sys.argv[1]))
