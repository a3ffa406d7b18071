#!/usr/bin/python3
"""A UDP echo for the fragment tests (control/tests/netns.rs).

  udp_echo.py serve PORT            echo every datagram back; prints "ready" on stderr
  udp_echo.py ask HOST PORT SIZE    send SIZE bytes (the kernel fragments them), wait 3 s
                                    for the echo; exit 0 when the same bytes came back
"""
import socket
import sys


def serve(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def ask(host, port, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Let the kernel fragment (no DF) rather than refuse with EMSGSIZE.
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
    s.settimeout(3)
    payload = bytes(i % 251 for i in range(size))
    s.sendto(payload, (host, port))
    data, _ = s.recvfrom(65535)
    print(len(data))
    return 0 if data == payload else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    elif sys.argv[1:2] == ["ask"]:
        sys.exit(ask(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
