"""Presigned PUT+GET throughput through the mock_s3 gate (strict) versus plain moto.

Both servers run in this process on the same werkzeug stack (``mock_s3.wsgi.ServerThread``), so
the only difference is the gate. URLs are presigned before timing; rounds alternate between the
two servers to spread machine noise evenly. Also prints the gate's own verification cost per
request, measured in-process without HTTP.

    .venv/bin/python benchmarks/mock_s3_throughput.py [--size-mib 1] [--pairs 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import requests
from botocore.config import Config

from mock_s3 import MockS3
from mock_s3.gate import Gate
from mock_s3.wsgi import plain_moto

BUCKET = "bench"


def presigner(endpoint: str, access_key: str, secret_key: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def url_pairs(client: Any, count: int) -> list[tuple[str, str]]:
    pairs = []
    for _ in range(count):
        params = {"Bucket": BUCKET, "Key": f"bench/{uuid.uuid4().hex}.ts"}
        put = client.generate_presigned_url("put_object", Params=params, ExpiresIn=3600)
        get = client.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
        pairs.append((put, get))
    return pairs


def timed_round(pairs: list[tuple[str, str]], body: bytes) -> float:
    """Seconds for PUT then GET of every pair, sequentially, one client."""
    with requests.Session() as session:
        start = time.perf_counter()
        for put, get in pairs:
            assert session.put(put, data=body, timeout=60).status_code == 200
            got = session.get(get, timeout=60)
            assert got.status_code == 200 and len(got.content) == len(body)
        return time.perf_counter() - start


def verification_cost_us(s3: MockS3, signature_version: str, iterations: int) -> float:
    """Microseconds the gate spends judging one presigned PUT (no HTTP, no moto)."""
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
        "CONTENT_LENGTH": "1048576",
    }
    gate = Gate(_never_called, s3.settings, s3.clock, s3.requests, s3.account_id)
    gate.judge(environ)  # warm up; raises if the request would be refused
    start = time.perf_counter()
    for _ in range(iterations):
        gate.judge(environ)
    return (time.perf_counter() - start) / iterations * 1e6


def _never_called(environ: dict, start_response: Callable) -> list[bytes]:
    raise AssertionError("judge() never forwards to the object store")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=float, default=1.0)
    parser.add_argument("--pairs", type=int, default=50, help="PUT+GET pairs per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per server")
    parser.add_argument("--iterations", type=int, default=5000, help="for the verification cost")
    args = parser.parse_args()
    body = os.urandom(int(args.size_mib * 1024 * 1024))

    with MockS3("strict", buckets=[BUCKET]) as gated, plain_moto() as plain_endpoint:
        plain = presigner(plain_endpoint, "AKIAPLAINMOTO0000000", "plain-secret")
        plain.create_bucket(Bucket=BUCKET)
        gated_client = presigner(gated.endpoint, gated.access_key, gated.secret_key)
        timings: dict[str, list[float]] = {"gate (strict)": [], "plain moto": []}
        timed_round(url_pairs(gated_client, 3), body)  # warm both servers up
        timed_round(url_pairs(plain, 3), body)
        for _ in range(args.rounds):
            gated_pairs = url_pairs(gated_client, args.pairs)
            plain_pairs = url_pairs(plain, args.pairs)
            timings["gate (strict)"].append(timed_round(gated_pairs, body))
            timings["plain moto"].append(timed_round(plain_pairs, body))
            _empty(gated_client, plain)
        v4_us = verification_cost_us(gated, "s3v4", args.iterations)
        v2_us = verification_cost_us(gated, "s3", args.iterations)

    print(f"presigned PUT+GET of {args.size_mib:g} MiB objects, {args.pairs} pairs x "
          f"{args.rounds} rounds per server, one sequential client")  # fmt: skip
    rates = {}
    for name, seconds in timings.items():
        rates[name] = args.pairs / statistics.median(seconds)
        mib_s = rates[name] * 2 * args.size_mib
        print(f"  {name:14} {rates[name]:7.1f} pairs/s  ({mib_s:6.1f} MiB/s moved, median round)")
    print(f"  ratio gate/plain: {rates['gate (strict)'] / rates['plain moto']:.3f}")
    print(f"gate verification cost per request: SigV4 {v4_us:.0f} us, SigV2 {v2_us:.0f} us")


def _empty(*clients: Any) -> None:
    """Delete the round's objects so memory stays flat across rounds."""
    for client in clients:
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix="bench/").get("Contents", [])
        for obj in listed:
            client.delete_object(Bucket=BUCKET, Key=obj["Key"])


if __name__ == "__main__":
    main()
