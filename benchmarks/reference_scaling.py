"""Reference server: a tag-filtered flow listing with many other flows stored vs an empty store.

Two embedded reference servers run on loopback ports: one holds only the few flows the query
matches, the other the same flows plus ``--others`` (2,000) flows that do not match (other tags,
labels, formats, some in a flow collection). Each round times ``--requests`` sequential
``GET /flows?tag.bench=<marker>`` on each server, alternating which goes first (A B, B A, ...),
so the machine's drift spreads over both; each round gives one ratio full/empty. Prints the
ratio as min/median/max over the rounds (goal: at most 1.5).

    .venv/bin/python benchmarks/reference_scaling.py [--others 2000] [--rounds 9] [--requests 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

import requests

from tams_reference import ReferenceServer, ServerConfig

MATCHING = 5
GOAL = 1.5


def flow_body(tags: dict[str, str], label: str, kind: int) -> dict[str, Any]:
    video = {
        "format": "urn:x-nmos:format:video",
        "codec": "video/h264",
        "container": "video/mp2t",
        "essence_parameters": {
            "frame_width": 1920,
            "frame_height": 1080,
            "frame_rate": {"numerator": 25, "denominator": 1},
        },
    }
    audio = {
        "format": "urn:x-nmos:format:audio",
        "codec": "audio/aac",
        "container": "video/mp2t",
        "essence_parameters": {"sample_rate": 48000, "channels": 2},
    }
    return {
        "id": str(uuid.uuid4()),
        "source_id": str(uuid.uuid4()),
        "label": label,
        "tags": tags,
        **(video if kind % 2 else audio),
    }


def fill(session: requests.Session, base: str, marker: str, others: int) -> None:
    """The matching flows, then ``others`` non-matching ones (every 50th a collection of 2)."""
    for i in range(MATCHING):
        body = flow_body({"bench": marker}, f"match {i}", i)
        assert session.put(f"{base}/flows/{body['id']}", json=body).status_code == 201
    previous: list[str] = []
    for i in range(others):
        body = flow_body({"bench": f"other-{i % 97}", "n": str(i)}, f"other {i}", i)
        if i % 50 == 49 and len(previous) >= 2:
            body["format"] = "urn:x-nmos:format:multi"
            body.pop("essence_parameters")
            body["flow_collection"] = [{"id": fid, "role": "member"} for fid in previous[-2:]]
        assert session.put(f"{base}/flows/{body['id']}", json=body).status_code == 201
        if body["format"] != "urn:x-nmos:format:multi":
            previous.append(body["id"])


def timed(session: requests.Session, base: str, marker: str, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        response = session.get(f"{base}/flows", params={"tag.bench": marker})
        assert response.status_code == 200 and len(response.json()) == MATCHING
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--others", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    marker = uuid.uuid4().hex
    with (
        ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as empty,
        ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as full,
        requests.Session() as session,
    ):
        fill(session, empty.base_url, marker, 0)
        fill(session, full.base_url, marker, args.others)
        timed(session, empty.base_url, marker, 5)  # warm both up
        timed(session, full.base_url, marker, 5)
        ratios, per_request = [], {"empty": [], "full": []}
        for round_no in range(args.rounds):
            order = [("empty", empty), ("full", full)]
            if round_no % 2:
                order.reverse()
            took = {
                name: timed(session, srv.base_url, marker, args.requests) for name, srv in order
            }
            for name, seconds in took.items():
                per_request[name].append(seconds / args.requests * 1000)
            ratios.append(took["full"] / took["empty"])
    for name, values in per_request.items():
        print(
            f"{name:>5} store: ms per GET /flows?tag.bench=... min {min(values):.2f} "
            f"median {statistics.median(values):.2f} max {max(values):.2f}"
        )
    median = statistics.median(ratios)
    print(
        f"ratio with {args.others} other flows / empty store over {args.rounds} interleaved "
        f"rounds: min {min(ratios):.2f}x median {median:.2f}x max {max(ratios):.2f}x "
        f"(goal <= {GOAL}x: {'met' if median <= GOAL else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
