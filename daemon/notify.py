"""systemd's sd_notify protocol, spoken directly over the NOTIFY_SOCKET datagram socket.

No dependency: the protocol is "send KEY=VALUE lines to the unix datagram
socket named by $NOTIFY_SOCKET" (an '@' prefix means the abstract namespace).
Outside systemd NOTIFY_SOCKET is unset and every call is a cheap no-op.
"""
from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.sock: socket.socket | None = None
        if self.address:
            # non-blocking: the daemon sends from its event loop, and a unix datagram send to a reader that
            # has fallen behind (its queue holds net.unix.max_dgram_qlen = 10 datagrams) would otherwise wait
            # for it, and OSC with it (seen in a test that read its socket late). A beat that does not fit is
            # dropped and reported as not sent.
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK)

    @property
    def enabled(self) -> bool:
        return self.sock is not None

    def send(self, *lines: str) -> bool:
        """Send one datagram; never raises (a vanished socket must not stop the daemon) and never waits (a
        full queue drops it)."""
        if self.sock is None:
            return False
        try:
            self.sock.sendto("\n".join(lines).encode(), self.address)
            return True
        except OSError:
            return False

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text.splitlines()[0] if text else ''}")

    def reloading(self) -> bool:
        return self.send("RELOADING=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")


def watchdog_interval() -> float | None:
    """Half the WatchdogSec systemd set (WATCHDOG_USEC), in seconds, or None when no watchdog is asked for."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2e6
    except ValueError:
        return None
