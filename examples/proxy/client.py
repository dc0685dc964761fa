#!/usr/bin/env python3
"""A complete client of pwnbox's proxy protocol (docs/proxy.md, version 1).

    client.py SOCKET [--no-fd] CALL [PATH [FLAGS]]

CALL is open, stat, lstat, statx, access, readlink, uname or gethostname; prints the result as
one JSON line (for open, with the first bytes read through the fd that came back). --no-fd
sends the hello without its fd (as across a relay that drops them). The Proxy class is what a
program needs to talk to `pwnbox proxy serve` or to be a handler's peer.
"""
import base64, json, os, socket, struct, sys


class Proxy:
    def __init__(self, path, pass_fd=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.next_id = 1
        proof = [os.memfd_create("hello")] if pass_fd else []  # the fd-passing proof
        self.send({"type": "hello", "version": 1, "fd": bool(proof)}, proof)
        hello, fds = self.receive()
        if hello["type"] != "hello":
            raise RuntimeError(hello.get("message", hello))
        self.fd_passing = hello.get("fd_passing", False) and bool(fds)
        for fd in proof + fds:
            os.close(fd)

    def send(self, message, fds=()):
        payload = json.dumps(message).encode()
        socket.send_fds(self.sock, [struct.pack("<I", len(payload)) + payload], list(fds))

    def receive(self):
        header, fds, _, _ = socket.recv_fds(self.sock, 4, 1)  # fds come with the first bytes
        header += self.read(4 - len(header)) if header else b""
        if not header:
            raise EOFError("the server closed the connection")
        return json.loads(self.read(struct.unpack("<I", header)[0])), fds

    def read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("the server closed the connection in a message")
            data += chunk
        return data

    def call(self, name, **fields):
        """One call; returns (result, fd or None, data bytes)."""
        call_id, self.next_id = self.next_id, self.next_id + 1
        self.send({"type": "call", "id": call_id, "name": name, "nr": -1, "abi": "x86_64",
                   "pid": os.getpid(), "args": [0] * 6, **fields})
        result, fds = self.receive()
        if result["type"] != "result" or result["id"] != call_id:
            raise RuntimeError(result.get("message", result))
        return result, (fds[0] if fds else None), base64.b64decode(result.get("data", ""))


def main(argv):
    sock, args = argv[1], argv[2:]
    pass_fd = args[0] != "--no-fd"
    args = args if pass_fd else args[1:]
    proxy = Proxy(sock, pass_fd)
    name, path = args[0], (args[1] if len(args) > 1 else None)
    fields = {"path": path} if path else {}
    if name == "open":
        fields.update(flags=int(args[2], 0) if len(args) > 2 else os.O_RDONLY, mode=0o644)
        name = "openat"
    result, fd, data = proxy.call(name, **fields)
    out = {"fd_passing": proxy.fd_passing, "ret": result.get("ret"), "errno": result.get("errno")}
    if fd is not None:
        out["content"] = os.read(fd, 4096).decode(errors="replace")
        os.close(fd)
    if name in ("stat", "lstat"):  # x86_64 struct stat: dev, ino, nlink, mode, uid, gid, rdev, size
        _, out["ino"], _, out["mode"], _, _, _, _, out["size"] = struct.unpack_from("<QQQIIIIQq", data)
    elif name == "readlink":
        out["target"] = data.decode(errors="replace")
    elif name == "uname":  # struct utsname: six 65-byte fields
        out["sysname"], out["nodename"] = (data[i * 65:(i + 1) * 65].split(b"\0")[0].decode()
                                           for i in range(2))
    elif name == "gethostname":
        out["hostname"] = data.decode()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
