#!/usr/bin/env python3
"""An in-memory file tree for pwnbox's proxy protocol (docs/proxy.md): the sandbox reads files
that exist nowhere on disk. Each file opened is a sealed memfd holding its content, passed to
the target (which then reads it at native speed); stat, access and readlink answer from the
tree; every change fails with EROFS.

    [[rule]]
    syscalls = ["open", "openat", "newfstatat", "statx", "access", "faccessat2"]
    paths = ["/etc/app/**"]
    action = "proxy"
    backend = "exec:python3 examples/proxy/memfs.py tree.json"

tree.json maps paths (relative to the rule's directory) to contents: {"/app.conf": "x = 1\\n"}.
Without it, a fake /hostname. Needs fd passing (a local backend): ENOSYS without it.
"""
import errno, fcntl, json, os, socket, stat, struct, sys

import handler  # receive, send (the framing)

TREE = {"/hostname": "sandbox\n"}
WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
O_PATH = 0o10000000


def lookup(path):
    """The file's bytes, "dir" for a directory of the tree, or None."""
    path = "/" + "/".join(p for p in path.split("/") if p)
    if path in TREE:
        return TREE[path].encode()
    prefix = path.rstrip("/") + "/"
    if any(name.startswith(prefix) for name in TREE):
        return "dir"
    return None


def memfd(content):
    fd = os.memfd_create("memfs", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, content)
    os.lseek(fd, 0, os.SEEK_SET)  # the target shares this offset: it reads from the start
    os.fchmod(fd, 0o444)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
    return fd


def stat_bytes(node):
    """The x86_64 struct stat (144 bytes) of a node: a read-only file or directory."""
    mode = (stat.S_IFDIR | 0o555) if node == "dir" else (stat.S_IFREG | 0o444)
    size = 0 if node == "dir" else len(node)
    return struct.pack("<QQQIIIxxxxQqqq72x", 0x6d656d, abs(hash(node)) & 0xffffff, 1, mode,
                       os.getuid(), os.getgid(), 0, size, 4096, (size + 511) // 512)


def statx_bytes(node):
    """The struct statx (256 bytes) of a node, with STATX_BASIC_STATS."""
    mode = (stat.S_IFDIR | 0o555) if node == "dir" else (stat.S_IFREG | 0o444)
    size = 0 if node == "dir" else len(node)
    return struct.pack("<IIQIIIHxxQQQQ64xIIII112x", 0x7ff, 4096, 0, 1, os.getuid(), os.getgid(),
                       mode, abs(hash(node)) & 0xffffff, size, (size + 511) // 512, 0, 0, 0,
                       0, 0x6d)


def answer(call, fd_passing):
    name, node = call["name"], lookup(call.get("path", ""))
    flags = call.get("flags", 0)
    if name in ("open", "openat", "openat2", "creat"):
        if name == "creat" or flags & WRITES:
            return {"errno": errno.EROFS}, None
        if node is None:
            return {"errno": errno.ENOENT}, None
        if node == "dir":
            return {"errno": errno.EACCES}, None  # listings are not served
        if not fd_passing:
            return {"errno": errno.ENOSYS}, None
        return {"ret": 0, "fd": True}, memfd(node)
    if name in ("stat", "lstat", "newfstatat"):
        if node is None:
            return {"errno": errno.ENOENT}, None
        return {"ret": 0, "data": handler.base64.b64encode(stat_bytes(node)).decode()}, None
    if name == "statx":
        if node is None:
            return {"errno": errno.ENOENT}, None
        return {"ret": 0, "data": handler.base64.b64encode(statx_bytes(node)).decode()}, None
    if name in ("access", "faccessat", "faccessat2"):
        if node is None:
            return {"errno": errno.ENOENT}, None
        return ({"errno": errno.EROFS} if call.get("mode", 0) & os.W_OK else {"ret": 0}), None
    if name in ("readlink", "readlinkat"):
        return {"errno": errno.ENOENT if node is None else errno.EINVAL}, None
    if name in ("mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename", "renameat",
                "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmodat",
                "truncate"):
        return {"errno": errno.EROFS}, None
    return {"errno": errno.ENOSYS}, None


def serve(sock):
    hello, fds = handler.receive(sock)
    if not hello or hello.get("type") != "hello" or hello.get("version") != 1:
        return handler.send(sock, {"type": "error", "message": "this handler speaks version 1"})
    fd_passing = bool(fds)
    handler.send(sock, {"type": "hello", "version": 1, "fd": fd_passing, "fd_passing": fd_passing},
                 fds[:1])
    for fd in fds:
        os.close(fd)
    while True:
        call, fds = handler.receive(sock)
        for fd in fds:
            os.close(fd)
        if call is None:
            return
        result, fd = answer(call, fd_passing)
        handler.send(sock, {"type": "result", "id": call["id"], **result}, [fd] if fd else [])
        if fd:
            os.close(fd)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as f:
            TREE = {"/" + k.strip("/"): v for k, v in json.load(f).items()}
    serve(socket.socket(fileno=0))
