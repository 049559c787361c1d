"""mock_s3 (strict gate) against plain ``moto_server``: presigned PUT+GET throughput, and memory.

Both stores run as their own subprocess on a loopback port, started the way a user starts them
(``python -m mock_s3 serve --profile strict`` and moto's own ``moto_server``), so each has its
own interpreter and the client in this process competes with neither. URLs are presigned before
timing; one sequential client (``http.client``, the lightest, or ``--client requests``, what the
kit uses) does PUT then GET of each object; rounds alternate between the two stores (A B A B ...)
and each pair of rounds gives one ratio, so the machine's drift spreads over both. Besides wall
time, each store's own CPU time per pair is read from /proc: on a shared, loaded machine that is
the steadier figure. Prints pairs/s per store and the ratio
plain/mock (how many times faster mock_s3 is) as min/median/max over the pairs of rounds. Also
prints the gate's own verification cost per request, measured in-process without HTTP.

``--memory`` instead measures resident memory per stored MiB in ``mock_s3 serve``, with and
without ``--spill-to-disk``.

    .venv/bin/python benchmarks/mock_s3_throughput.py [--size-kib 1] [--pairs 200] [--rounds 7]
    .venv/bin/python benchmarks/mock_s3_throughput.py --memory [--store-mib 64] [--object-kib 1024]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import requests
from botocore.config import Config

from mock_s3 import MockS3
from mock_s3.gate import Gate

BUCKET = "bench"
ACCESS_KEY = "AKIABENCHMARK0000001"
SECRET_KEY = "benchmark-secret-0123456789abcdefghijkl"
MOTO_SERVER = Path(sys.executable).with_name("moto_server")


def presigner(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@contextmanager
def mock_s3_serve(*extra: str) -> Iterator[tuple[str, int]]:
    """``python -m mock_s3 serve`` (strict) in a subprocess: (endpoint, pid)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_s3", "serve", "--profile", "strict", "--access-key",
         ACCESS_KEY, "--secret-key", SECRET_KEY, "--bucket", BUCKET, "--quiet", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("ENDPOINT="):
            raise RuntimeError(f"mock_s3 serve printed {line!r}")
        yield line.strip().split("=", 1)[1], proc.pid
    finally:
        _stop(proc)


@contextmanager
def moto_server() -> Iterator[tuple[str, int]]:
    """moto's own standalone server in a subprocess: (endpoint, pid)."""
    with socket.socket() as probe:  # a free port (moto_server cannot report one it picked)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        presigner(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint, proc.pid
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def url_pairs(client: Any, count: int) -> list[tuple[str, str]]:
    pairs = []
    for _ in range(count):
        params = {"Bucket": BUCKET, "Key": f"bench/{uuid.uuid4().hex}.ts"}
        put = client.generate_presigned_url("put_object", Params=params, ExpiresIn=3600)
        get = client.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
        pairs.append((put, get))
    return pairs


def timed_round(pairs: list[tuple[str, str]], body: bytes, client: str = "http.client") -> float:
    """Seconds for PUT then GET of every pair, sequentially, one client connection.

    ``http.client`` (default) is the lightest client, so the figure is mostly the servers';
    ``requests`` is what the kit itself uses. Either reuses its connection when the server
    keeps it open and reconnects when it does not.
    """
    if client == "http.client":
        return _timed_round_http_client(pairs, body)
    with requests.Session() as session:
        start = time.perf_counter()
        for put, get in pairs:
            assert session.put(put, data=body, timeout=60).status_code == 200
            got = session.get(get, timeout=60)
            assert got.status_code == 200 and len(got.content) == len(body)
        return time.perf_counter() - start


def _timed_round_http_client(pairs: list[tuple[str, str]], body: bytes) -> float:
    netloc = urlsplit(pairs[0][0]).netloc
    conn = http.client.HTTPConnection(netloc, timeout=60)
    try:
        start = time.perf_counter()
        for put, get in pairs:
            conn.request("PUT", put[put.index("/", 8) :], body=body)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            conn.request("GET", get[get.index("/", 8) :])
            response = conn.getresponse()
            assert response.status == 200 and len(response.read()) == len(body)
        return time.perf_counter() - start
    finally:
        conn.close()


def verification_cost_us(signature_version: str, iterations: int) -> float:
    """Microseconds the gate spends judging one presigned PUT (no HTTP, no moto)."""
    with MockS3("strict", buckets=[BUCKET]) as s3:
        client = s3.presigner(signature_version)
        url = client.generate_presigned_url(
            "put_object", Params={"Bucket": BUCKET, "Key": "cost/k.ts"}, ExpiresIn=3600
        )
        target = url.split(s3.endpoint, 1)[1]
        environ = {
            "REQUEST_METHOD": "PUT",
            "RAW_URI": target,
            "HTTP_HOST": s3.endpoint.split("//", 1)[1],
            "HTTP_USER_AGENT": "python-requests/2",
            "HTTP_ACCEPT": "*/*",
            "CONTENT_LENGTH": "1024",
        }
        gate = Gate(_never_called, s3.settings, s3.clock, s3.requests, s3.account_id)
        gate.judge(environ)  # warm up; raises if the request would be refused
        start = time.perf_counter()
        for _ in range(iterations):
            gate.judge(environ)
        return (time.perf_counter() - start) / iterations * 1e6


def _never_called(environ: dict, start_response: Callable) -> list[bytes]:
    raise AssertionError("judge() never forwards to the object store")


def _spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return (
        f"min {fmt.format(min(values))}, median {fmt.format(statistics.median(values))}, "
        f"max {fmt.format(max(values))}"
    )


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used (from /proc; Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(args: argparse.Namespace) -> None:
    body = os.urandom(int(args.size_kib * 1024))
    mock, moto = "mock_s3 (strict)", "moto_server"
    with mock_s3_serve() as (mock_endpoint, mock_pid), moto_server() as (moto_endpoint, moto_pid):
        clients = {mock: presigner(mock_endpoint), moto: presigner(moto_endpoint)}
        pids = {mock: mock_pid, moto: moto_pid}
        for client in clients.values():
            timed_round(url_pairs(client, 20), body)  # warm up
        seconds: dict[str, list[float]] = {name: [] for name in clients}
        cpu: dict[str, list[float]] = {name: [] for name in clients}
        for i in range(args.rounds):
            # Alternate which store goes first, so neither always follows the other.
            order = list(clients) if i % 2 == 0 else list(reversed(clients))
            for name in order:
                pairs = url_pairs(clients[name], args.pairs)
                cpu_before = _cpu_s(pids[name])
                seconds[name].append(timed_round(pairs, body, args.client))
                cpu[name].append(_cpu_s(pids[name]) - cpu_before)
    ratios = [p / m for m, p in zip(seconds[mock], seconds[moto], strict=True)]
    cpu_ratios = [p / max(m, 1e-9) for m, p in zip(cpu[mock], cpu[moto], strict=True)]
    print(f"presigned PUT+GET of {args.size_kib:g} KiB objects, {args.pairs} pairs per round, "
          f"{args.rounds} interleaved rounds per store, one sequential {args.client} client, "
          "both stores in their own subprocess")  # fmt: skip
    for name, values in seconds.items():
        rates = [args.pairs / s for s in values]
        per_pair_ms = [c / args.pairs * 1000 for c in cpu[name]]
        print(f"  {name:17} pairs/s: {_spread(rates, '{:.1f}')}; "
              f"server CPU ms per pair: {_spread(per_pair_ms)}")  # fmt: skip
    print(f"  ratio moto_server wall time / mock_s3 wall time (x faster): {_spread(ratios)}")
    print(f"  ratio moto_server CPU / mock_s3 CPU per pair (x cheaper): {_spread(cpu_ratios)}")
    v4_us = verification_cost_us("s3v4", args.iterations)
    v2_us = verification_cost_us("s3", args.iterations)
    print(f"gate verification cost per request: SigV4 {v4_us:.0f} us, SigV2 {v2_us:.0f} us")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def memory(args: argparse.Namespace) -> None:
    body_size = int(args.object_kib * 1024)
    count = max(1, int(args.store_mib * 1024 * 1024 // body_size))
    stored_mib = count * body_size / 1024**2
    print(f"resident memory of mock_s3 serve per stored MiB: {count} objects of "
          f"{args.object_kib:g} KiB ({stored_mib:.0f} MiB), header-signed put_object")  # fmt: skip
    for label, extra in (("in memory (default)", ()), ("--spill-to-disk", ("--spill-to-disk",))):
        with mock_s3_serve(*extra) as (endpoint, pid):
            client = presigner(endpoint)
            client.put_object(Bucket=BUCKET, Key="warm", Body=b"w")
            before = _rss_mib(pid)
            for i in range(count):
                client.put_object(Bucket=BUCKET, Key=f"mem/{i}", Body=os.urandom(body_size))
            after = _rss_mib(pid)
        per = (after - before) / stored_mib
        print(f"  {label:20} RSS {before:6.1f} -> {after:6.1f} MiB: {per:.2f} MiB per stored MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-kib", type=float, default=1.0)
    parser.add_argument("--pairs", type=int, default=200, help="PUT+GET pairs per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per store")
    parser.add_argument("--iterations", type=int, default=5000, help="for the verification cost")
    parser.add_argument("--client", choices=["http.client", "requests"], default="http.client")
    parser.add_argument("--memory", action="store_true", help="measure memory per stored MiB")
    parser.add_argument("--store-mib", type=float, default=64.0)
    parser.add_argument("--object-kib", type=float, default=1024.0)
    args = parser.parse_args()
    if args.memory:
        memory(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
