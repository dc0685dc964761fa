#!/usr/bin/env python3
"""A custom handler for pwnbox's proxy protocol (docs/proxy.md): the sandbox sees a made-up
host name in uname(2) and gethostname, and every other proxied call fails with ENOSYS.

    backend = "exec:python3 examples/proxy/handler.py"      # pwnbox runs it, socket on fd 0/1
    python3 examples/proxy/handler.py /run/hostname.sock    # or: backend = "unix:/run/hostname.sock"
"""
import base64, errno, json, os, socket, struct, sys, threading

HOSTNAME = os.environ.get("FAKE_HOSTNAME", "sandbox")


def receive(sock):
    header, fds, _, _ = socket.recv_fds(sock, 4, 1)
    while header and len(header) < 4:
        header += sock.recv(4 - len(header))
    if len(header) < 4:
        return None, fds
    size, payload = struct.unpack("<I", header)[0], b""
    while len(payload) < size:
        chunk = sock.recv(size - len(payload))
        if not chunk:
            return None, fds
        payload += chunk
    return json.loads(payload), fds


def send(sock, message, fds=()):
    payload = json.dumps(message).encode()
    socket.send_fds(sock, [struct.pack("<I", len(payload)) + payload], list(fds))


def answer(call):
    if call["name"] == "uname":
        # struct utsname: six 65-byte fields (the sixth, domainname, is not in os.uname()).
        fields = [os.uname().sysname, HOSTNAME] + list(os.uname())[2:] + ["(none)"]
        data = b"".join(f.encode()[:64].ljust(65, b"\0") for f in fields)
        return {"ret": 0, "data": base64.b64encode(data).decode()}
    if call["name"] == "gethostname":
        return {"ret": 0, "data": base64.b64encode(HOSTNAME.encode()).decode()}
    return {"errno": errno.ENOSYS}


def serve(sock):
    hello, fds = receive(sock)
    if not hello or hello.get("type") != "hello" or hello.get("version") != 1:
        return send(sock, {"type": "error", "message": "this handler speaks version 1"})
    send(sock, {"type": "hello", "version": 1, "fd": bool(fds), "fd_passing": bool(fds)}, fds[:1])
    for fd in fds:
        os.close(fd)
    while True:
        call, fds = receive(sock)
        if call is None:
            return
        send(sock, {"type": "result", "id": call["id"], **answer(call)})


if __name__ == "__main__":
    if len(sys.argv) > 1:  # a server of our own on a unix socket, a thread per client
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(sys.argv[1])
        listener.listen()
        while True:
            threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
    serve(socket.socket(fileno=0))  # exec: the socketpair pwnbox gave us
