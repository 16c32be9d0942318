#!/usr/bin/env python3
"""Splits `perf script -F comm,ip,sym` output of the server (frame-pointer call chains)
into the steps of a request, by the first step found walking each sample's chain from
the root. Prints each step's share of the samples and, given the server's CPU time per
request (argv[1], microseconds), its microseconds per request.
"""
import collections
import sys

# (step, pattern in a frame); the first step whose pattern is in the chain wins, so
# inner steps come before the layers that contain them.
STEPS = [
    ("storage (SQLite, group commit)", "store::worker"),
    ("session cache (heartbeats from memory)", "store::sessions"),
    ("signed answer (token + payload + HMAC)", "auth::session_response"),
    ("session token check", "TokenKey::verify"),
    ("request parse and field checks", "Request::parse"),
    ("rate limiter", "auth::limit"),
    ("handler, rest", "axum::handler::Handler"),
    ("middleware, routing (as /health)", "from_fn::FromFn"),
    ("HTTP/1 (hyper)", "hyper::"),
    ("async runtime (tokio)", "tokio::"),
]
# Kernel work, by the syscall or event that entered the kernel.
KERNEL = [
    ("socket writes (incl. waking the client)", "writev"),
    ("socket reads", "recv"),
    ("SQLite file I/O and locks", "pwrite"),
    ("SQLite file I/O and locks", "fcntl"),
    ("waiting for events (epoll, futex)", "epoll_wait"),
    ("waiting for events (epoll, futex)", "futex"),
]
KERNEL_ENTRY = ("entry_SYSCALL", "asm_sysvec", "asm_common_interrupt", "irqentry")


def samples(lines):
    chain = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip() or not line.startswith((" ", "\t")):
            if chain:
                yield chain
            chain = []
            continue
        parts = line.strip().split(" ", 1)
        chain.append(parts[1] if len(parts) > 1 else "")
    if chain:
        yield chain


def classify(chain):
    in_kernel = any(any(e in f for e in KERNEL_ENTRY) for f in chain)
    if in_kernel:
        for name, pattern in KERNEL:
            if any(pattern in f for f in chain):
                return "kernel: " + name
        return "kernel: other"
    for name, pattern in STEPS:
        if any(pattern in f for f in chain):
            return name
    return "other"


def main():
    us_per_request = float(sys.argv[1]) if len(sys.argv) > 1 else None
    counts = collections.Counter(classify(c) for c in samples(sys.stdin))
    total = sum(counts.values())
    if not total:
        sys.exit("no samples")
    print(f"{'step':50} {'share':>7} {'µs/req':>8}")
    for name, n in counts.most_common():
        share = n / total
        us = f"{share * us_per_request:8.1f}" if us_per_request else ""
        print(f"{name:50} {100 * share:6.1f}% {us}")
    print(f"({total} samples)")


if __name__ == "__main__":
    main()
