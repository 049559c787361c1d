"""tams_spec.locate_spec: search order, verified cache, pinned download (over loopback only)."""

from __future__ import annotations

import http.server
import io
import shutil
import socket
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tams_spec import (
    PINNED_COMMITS,
    SUPPORTED_VERSIONS,
    SpecUnavailable,
    SpecValidator,
    locate_spec,
    supported_version,
)
from tams_spec.errors import SpecIntegrityError
from tams_spec.fetch import MANIFEST_NAME, extract_api, manifest

COMMIT = PINNED_COMMITS["8.2"]
YAML = "TimeAddressableMediaStore.yaml"


@pytest.fixture(scope="module")
def real_82() -> Path:
    """The genuine 8.2 folder (TAMS_SPEC_DIR or a verified cache), or a skip saying how."""
    try:
        return locate_spec("8.2", allow_download=False)
    except SpecUnavailable as exc:
        pytest.skip(f"spec files unavailable, set TAMS_SPEC_DIR (CI does): {exc}")


def linked_root(tmp_path: Path, name: str, real: Path, version: str = "8.2") -> Path:
    """A folder holding ``<version>/`` (a symlink to real), like a checkout per version."""
    root = tmp_path / name
    root.mkdir()
    (root / version).symlink_to(real, target_is_directory=True)
    return root


def cache_copy(cache: Path, real: Path) -> Path:
    target = cache / COMMIT / "8.2"
    shutil.copytree(real, target)
    return target


def tarball(real: Path, tamper: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A codeload-style archive: ``tams-<commit>/api/...`` plus files that must be ignored."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        top = f"tams-{COMMIT}"
        files = {f"{top}/README.md": b"readme", f"{top}/api/docs/x.json": b"{}"}
        for path in sorted(real.rglob("*")):
            if path.is_file():
                files[f"{top}/api/{path.relative_to(real).as_posix()}"] = path.read_bytes()
        if tamper:
            files[f"{top}/api/{tamper}"] += b" "
        files.update(extra or {})
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class ArchiveServer:
    """A loopback HTTP server serving archives by path, counting requests."""

    def __init__(self) -> None:
        self.archives: dict[str, bytes] = {}
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests += 1
                data = server.archives.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def archive_server() -> Iterator[ArchiveServer]:
    server = ArchiveServer()
    yield server
    server.close()


def download_env(server: ArchiveServer, cache: Path) -> dict[str, str]:
    return {
        "TAMS_SPEC_URL_TEMPLATE": server.url + "/{commit}.tar.gz",
        "TAMS_SPEC_CACHE": str(cache),
    }


# supported_version


@pytest.mark.parametrize(
    ("asked", "used"),
    [("8.2", "8.2"), ("8.3", "8.2"), ("8.10", "8.2"), ("8.0", "8.0"), ("7.9", "7.0")],
)
def test_supported_version_maps_to_the_newest_known_of_the_same_major(asked, used):
    assert supported_version(asked) == used


@pytest.mark.parametrize("asked", ["9.0", "6.0", "7"])
def test_unsupported_versions_raise_a_message_listing_the_supported_ones(asked):
    with pytest.raises(SpecUnavailable) as raised:
        supported_version(asked)
    assert asked in str(raised.value)
    if asked != "7":
        assert ", ".join(SUPPORTED_VERSIONS) in str(raised.value)


# Search order


def test_spec_dir_beats_env_which_beats_the_cache(tmp_path, real_82):
    explicit = linked_root(tmp_path, "explicit", real_82)
    env_root = linked_root(tmp_path, "env", real_82)
    cached = cache_copy(tmp_path / "cache", real_82)
    env = {"TAMS_SPEC_DIR": str(env_root), "TAMS_SPEC_CACHE": str(tmp_path / "cache")}
    off = {"allow_download": False}
    assert locate_spec("8.2", spec_dir=explicit, environ=env, **off) == explicit / "8.2"
    assert locate_spec("8.2", environ=env, **off) == env_root / "8.2"
    del env["TAMS_SPEC_DIR"]
    assert locate_spec("8.2", environ=env, **off) == cached


def test_a_spec_dir_without_the_version_falls_through_to_the_next_source(tmp_path, real_82):
    only_80 = linked_root(tmp_path, "explicit", real_82, version="8.0")
    env = {"TAMS_SPEC_DIR": str(linked_root(tmp_path, "env", real_82))}
    assert locate_spec("8.2", spec_dir=only_80, environ=env) == tmp_path / "env" / "8.2"


def test_an_explicit_dir_serves_an_unknown_minor_exactly_or_by_its_supported_version(
    tmp_path, real_82
):
    root = linked_root(tmp_path, "explicit", real_82)
    assert locate_spec("8.3", spec_dir=root, environ={}) == root / "8.2"
    (root / "8.3").symlink_to(real_82, target_is_directory=True)  # a dev copy of a newer spec
    assert locate_spec("8.3", spec_dir=root, environ={}) == root / "8.3"


def test_a_missing_spec_dir_is_an_error_naming_it(tmp_path):
    with pytest.raises(SpecUnavailable, match="--spec-dir .*nowhere: no such folder"):
        locate_spec("8.2", spec_dir=tmp_path / "nowhere", environ={})


def test_a_spec_dir_pointing_at_a_version_folder_says_to_use_its_parent(real_82):
    with pytest.raises(SpecUnavailable, match="point it at the folder above"):
        locate_spec("8.2", environ={"TAMS_SPEC_DIR": str(real_82)})


def test_nothing_available_without_download_is_a_one_line_error(tmp_path):
    with pytest.raises(SpecUnavailable) as raised:
        locate_spec("8.2", environ={"TAMS_SPEC_CACHE": str(tmp_path)}, allow_download=False)
    assert str(raised.value) == (
        f"TAMS spec 8.2 not found: set TAMS_SPEC_DIR to a folder holding 8.2/{YAML} "
        "(a checkout of bbc/tams api/ per version), pass --spec-dir, "
        "or allow the download of bbc/tams@34fb31b (download disabled)"
    )


# Verified cache


def test_a_tampered_cache_is_refused_naming_the_changed_file(tmp_path, real_82):
    cached = cache_copy(tmp_path, real_82)
    (cached / MANIFEST_NAME).write_text(manifest(cached))
    with (cached / "schemas" / "uuid.json").open("a") as schema:
        schema.write(" ")
    with pytest.raises(SpecIntegrityError, match=r"schemas/uuid\.json was changed"):
        locate_spec("8.2", environ={"TAMS_SPEC_CACHE": str(tmp_path)}, allow_download=False)


def test_a_cache_missing_a_file_is_refused(tmp_path, real_82):
    cached = cache_copy(tmp_path, real_82)
    (cached / "examples" / "flow-put.json").unlink()
    with pytest.raises(SpecIntegrityError, match="does not match its pinned digest"):
        locate_spec("8.2", environ={"TAMS_SPEC_CACHE": str(tmp_path)}, allow_download=False)


# Download


def test_download_fills_the_cache_once_and_the_copy_validates(tmp_path, real_82, archive_server):
    archive_server.archives[f"/{COMMIT}.tar.gz"] = tarball(real_82)
    env = download_env(archive_server, tmp_path / "cache")
    found = locate_spec("8.2", environ=env)
    assert found == tmp_path / "cache" / COMMIT / "8.2"
    assert manifest(found) == manifest(real_82) == (found / MANIFEST_NAME).read_text()
    assert not (found / "docs").exists() and not (found.parent / "README.md").exists()
    assert [p.name for p in found.parent.iterdir()] == ["8.2"]  # no scratch folder left
    assert locate_spec("8.2", environ=env) == found
    assert archive_server.requests == 1
    assert SpecValidator(found).validate_schema("uuid.json", "A") != []


def test_concurrent_downloads_into_one_cache_all_succeed(tmp_path, real_82, archive_server):
    archive_server.archives[f"/{COMMIT}.tar.gz"] = tarball(real_82)
    env = download_env(archive_server, tmp_path)
    results: list[Path | Exception] = []

    def fetch() -> None:
        try:
            results.append(locate_spec("8.2", environ=env))
        except Exception as exc:  # reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [tmp_path / COMMIT / "8.2"] * 3
    assert manifest(tmp_path / COMMIT / "8.2") == manifest(real_82)


def test_a_tampered_download_is_rejected_and_not_cached(tmp_path, real_82, archive_server):
    archive_server.archives[f"/{COMMIT}.tar.gz"] = tarball(real_82, tamper="schemas/uuid.json")
    with pytest.raises(SpecIntegrityError, match="does not match the pinned digest"):
        locate_spec("8.2", environ=download_env(archive_server, tmp_path))
    assert list((tmp_path / COMMIT).iterdir()) == []


def test_an_archive_with_an_extra_schema_is_rejected(tmp_path, real_82, archive_server):
    extra = {f"tams-{COMMIT}/api/schemas/evil.json": b"{}"}
    archive_server.archives[f"/{COMMIT}.tar.gz"] = tarball(real_82, extra=extra)
    with pytest.raises(SpecIntegrityError, match="does not match the pinned digest"):
        locate_spec("8.2", environ=download_env(archive_server, tmp_path))


def test_an_unreachable_url_gives_the_one_line_not_found_message(tmp_path):
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "TAMS_SPEC_URL_TEMPLATE": f"http://127.0.0.1:{port}/{{commit}}",
        "TAMS_SPEC_CACHE": str(tmp_path),
    }
    with pytest.raises(SpecUnavailable) as raised:
        locate_spec("8.2", environ=env)
    message = str(raised.value)
    assert "\n" not in message and not isinstance(raised.value, SpecIntegrityError)
    assert message.startswith("TAMS spec 8.2 not found: set TAMS_SPEC_DIR to a folder holding")
    assert "pass --spec-dir, or allow the download of bbc/tams@34fb31b (network error: " in message
    assert f"127.0.0.1:{port}/{COMMIT}" in message


def test_an_http_error_is_reported_as_a_network_error(tmp_path, archive_server):
    with pytest.raises(SpecUnavailable, match=r"network error: .*404"):
        locate_spec("8.2", environ=download_env(archive_server, tmp_path))


@pytest.mark.parametrize(
    "name",
    ["/api/schemas/uuid.json", "../api/schemas/uuid.json", "tams-x/api/schemas/link.json"],
)
def test_extraction_refuses_absolute_parent_and_link_members(tmp_path, name):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        if name.endswith("link.json"):
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info, io.BytesIO(b""))
    buffer.seek(0)
    with pytest.raises(SpecIntegrityError, match="unsafe member|link"):
        extract_api(buffer, tmp_path, "test.tar.gz")
    assert list(tmp_path.iterdir()) == []
