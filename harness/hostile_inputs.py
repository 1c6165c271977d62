"""Hostile jobs.yaml files, shared by bench/hostile.py and tests/test_hostile.py."""

from __future__ import annotations

import random

MB = 1024 * 1024


def alias_bomb(levels: int = 9) -> bytes:
    lines = [
        "version: 1",
        "jobs: {}",
        'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for i in range(1, levels + 1):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


def huge_file(size: int = 50 * MB) -> bytes:
    line = b"# padding padding padding padding padding padding padding padding\n"
    return b"version: 1\njobs: {}\n" + line * (size // len(line) + 1)


def deep_flow(depth: int = 100_000) -> bytes:
    return b"version: 1\njobs: {}\nx: " + b"[" * depth + b"]" * depth + b"\n"


def deep_block(depth: int = 100_000) -> bytes:
    return b"version: 1\njobs: {}\nx:\n" + b"- " * depth + b"x\n"


def huge_integer(digits: int = 1_000_000) -> bytes:
    return (
        b"version: 1\njobs:\n  Job: {run: a.b:c, retry: {attempts: "
        + b"9" * digits
        + b"}}\n"
    )


def binary_junk(size: int = 1 * MB, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def long_line(size: int = 10 * MB) -> bytes:
    return b"version: 1\njobs: {}\nx: " + b"a" * size + b"\n"


def many_keys(count: int = 200_000) -> bytes:
    return b"version: 1\njobs: {}\nx:\n" + b"".join(
        b"  k%d: 1\n" % i for i in range(count)
    )


CASES = {
    "alias bomb (10^9 nodes)": alias_bomb,
    "50 MB file": huge_file,
    "100,000-level flow nesting": deep_flow,
    "100,000-level block nesting": deep_block,
    "1,000,000-digit integer": huge_integer,
    "1 MB of binary junk": binary_junk,
    "10 MB single line": long_line,
    "200,000 unknown keys": many_keys,
}
