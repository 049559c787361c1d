"""The whole suite against a "remote" target: the reference behind a loopback latency proxy.

The reference server runs as its own process (``python -m tams_reference``, with its own mock
S3); in front of it this script runs a reverse proxy on 127.0.0.1 that holds every request
`--delay-ms` (50) before forwarding it, like a round trip to a server far away, and counts the
requests. The suite runs against the proxy as a remote target (``base_url`` the proxy),
serially and with ``-- -n 8``, the two interleaved (serial, -n 8, serial, ...), each run
against a fresh server. Media (put_urls, get_urls) goes to the store directly: the proxy
delays the TAMS API only, and the floor counts the API requests it forwarded.

Prints, per mode, the requests of a run, its wall time and the ratio to the request floor
(requests x delay, divided by the workers for -n 8) as min/median/max over the runs, and the
goal (issue 14: <= 0.8 x serial, <= 1.5 x at -n 8).

    .venv/bin/python benchmarks/suite_latency.py [--runs 3] [--delay-ms 50] [--workers 8]
        [--only serial|parallel] [--compare ../main]   # A/B against another checkout's kit

The floor assumes a server that answers at once: on a loaded machine the reference's own time
per request (it shares the cores with the suite) adds to every request, so compare kits with
--compare (interleaved, same server) rather than only against the floor.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

REPO = Path(__file__).resolve().parents[1]
GOALS = {"serial": 0.8, "parallel": 1.5}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


class LatencyProxy:
    """A loopback reverse proxy adding `delay_s` to every request; counts what it forwards.

    Keep-alive towards the client (HTTP/1.1); towards the upstream one connection per proxy
    thread, reopened when the upstream closes it. Absolute URLs of the upstream in `Location`
    and `Link` headers are rewritten to the proxy, so following them pays the delay too."""

    def __init__(self, upstream: str, delay_s: float) -> None:
        parts = urlsplit(upstream)
        if not ipaddress.ip_address(parts.hostname or "").is_loopback:
            raise SystemExit(f"suite_latency: upstream {upstream} is not on loopback")
        self.upstream, self.delay_s = upstream.rstrip("/"), delay_s
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.requests = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are separate writes: with Nagle on, the body would wait for the
            # client's delayed ACK (40 ms), which is not the latency being simulated.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                proxy.forward(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_PATCH = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        with self._lock:
            self.requests += 1
        time.sleep(self.delay_s)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        status, reason, answer_headers, data = self._upstream(
            handler.command, handler.path, body, headers
        )
        handler.send_response(status, reason)
        for name, value in answer_headers:
            if name.lower() in HOP_BY_HOP:
                continue
            if name.lower() in ("location", "link"):
                value = value.replace(self.upstream, self.url)
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    def _upstream(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        for attempt in range(2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, 60)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
                continue
            if answer.will_close:
                conn.close()
                self._local.conn = None
            return answer.status, answer.reason, answer.getheaders(), data
        raise AssertionError("unreachable")


def start_reference(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tams_reference", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = proc.stdout.readline().strip() if proc.stdout else ""
    if not line.startswith("BASE_URL="):
        proc.kill()
        raise SystemExit(f"suite_latency: the reference did not start ({line!r})")
    return proc, line.removeprefix("BASE_URL=")


def targets_file(folder: Path, base_url: str) -> Path:
    entry = {
        "base_url": base_url,
        "auth": {"type": "none"},
        "profiles": ["tams", "cascade"],
        "s3": {"store": "strict"},
    }
    path = folder / "targets.yaml"
    path.write_text(yaml.safe_dump({"default": "latency", "targets": {"latency": entry}}))
    return path


def one_run(
    workers: int, delay_s: float, env: dict[str, str], kit: Path = REPO
) -> tuple[float, int, int]:
    """(wall seconds, requests through the proxy, exit code) of one suite run of the kit of
    checkout `kit` (its .venv; this checkout's own interpreter for REPO)."""
    server, base = start_reference(env)
    try:
        with tempfile.TemporaryDirectory() as tmp, LatencyProxy(base, delay_s) as proxy:
            targets = targets_file(Path(tmp), proxy.url)
            python = sys.executable if kit == REPO else str(kit / ".venv" / "bin" / "python")
            cmd = [
                python,
                "-m",
                "tams_conformance.cli",
                "run",
                "--targets-file",
                str(targets),
                "--reports-dir",
                str(Path(tmp) / "reports"),
                "--",
                "-q",
                "-p",
                "no:randomly",
            ]
            if workers > 1:
                cmd += ["-n", str(workers)]
            started = time.monotonic()
            done = subprocess.run(cmd, cwd=kit, env=env, capture_output=True, check=False)
            wall = time.monotonic() - started
            return wall, proxy.requests, done.returncode
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:  # a loaded machine: do not let it outlive the run
            server.kill()
            server.wait()


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each mode (interleaved)")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=8, help="xdist workers of the -n run")
    parser.add_argument("--only", choices=("serial", "parallel"), help="one mode only")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="CHECKOUT",
        help="also run another checkout's kit (its .venv), interleaved, e.g. one of main",
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    delay = args.delay_ms / 1000
    kits = {"this": REPO, **({"compared": args.compare.resolve()} if args.compare else {})}
    modes = [(kit, m) for m in ("serial", "parallel") if args.only in (None, m) for kit in kits]
    seen: dict[tuple[str, str], list[tuple[float, int, int]]] = {m: [] for m in modes}
    for run in range(args.runs):
        for kit, mode in modes:
            workers = args.workers if mode == "parallel" else 1
            wall, requests, code = one_run(workers, delay, env, kits[kit])
            floor = requests * delay / workers
            seen[(kit, mode)].append((wall, requests, code))
            print(
                f"run {run + 1} {kit:8} {mode:8} {wall:7.1f} s  {requests} requests  "
                f"floor {floor:6.1f} s  ratio {wall / floor:.2f}  exit {code}",
                flush=True,
            )
    print(f"\nsuite through a {args.delay_ms:g} ms latency proxy (min/median/max of {args.runs}):")
    for kit, mode in modes:
        workers = args.workers if mode == "parallel" else 1
        runs = seen[(kit, mode)]
        walls = [w for w, _, _ in runs]
        counts = [float(r) for _, r, _ in runs]
        ratios = [w / (r * delay / workers) for w, r, _ in runs]
        label = ("serial" if workers == 1 else f"-n {workers}") + ("" if kit == "this" else " *")
        met = "met" if statistics.median(ratios) <= GOALS[mode] else "NOT met"
        print(
            f"  {label:9} requests {spread(counts, '{:.0f}')}  wall {spread(walls, '{:.1f}')} s  "
            f"ratio to floor {spread(ratios)}  (goal <= {GOALS[mode]} x: {met})"
        )
        if any(code != 0 for _, _, code in runs):
            print(f"  {label}: some runs did not exit 0: {[c for _, _, c in runs]}")
    if args.compare:
        print(f"  * the kit of {kits['compared']} (same reference server, same proxy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
