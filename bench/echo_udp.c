/* A UDP echo server on loopback: the C floor of bench/bench_floor.py.
 *
 *     gcc -std=gnu11 -O2 -Wall -Wextra -o echo_udp bench/echo_udp.c && ./echo_udp [PORT]
 *
 * Binds 127.0.0.1:PORT (0, the default: a free port the kernel picks), prints
 * "port N" on stdout once it is listening, then sends every datagram back to
 * its sender unchanged: one blocking recvfrom, one sendto, nothing else. What
 * a round trip to it costs is what this machine's loopback, scheduler and
 * wake-ups cost, with no interpreter in the way; the benchmark compares the
 * daemon's rows with it and with a Python (uvloop) echo measured in the same
 * run. Ends on SIGTERM/SIGINT (the default action); a failed call is reported
 * on stderr with its errno and ends the process with status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

enum { MAX_DATAGRAM = 65536 };

static int fail(const char *what) {
    fprintf(stderr, "echo_udp: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    long port = 0;
    if (argc > 2 || (argc == 2 && ((port = strtol(argv[1], NULL, 10)) < 0 || port > 65535))) {
        fprintf(stderr, "usage: %s [PORT]   (0..65535; 0 = any free port)\n", argv[0]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return fail("socket");
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        return fail("bind");
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return fail("getsockname");
    printf("port %u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stdout);

    static unsigned char buf[MAX_DATAGRAM];
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail("recvfrom");
        }
        /* a full socket buffer or a vanished peer loses this one reply, as UDP may; the server goes on */
        (void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
    }
}
