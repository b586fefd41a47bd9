"""The downloader against a local http.server: good, corrupt and truncated files; offline; the CLI."""

from __future__ import annotations

import io
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nadam_ref import cli, data
from nadam_ref.data import ChecksumError, DownloadError, OfflineError, RemoteFile
from nadam_ref.data.download import digest_bytes

GOOD = b"0123456789" * 1000


def zipped(name, payload):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, payload)
    return buf.getvalue()


# path → (body, Content-Length announced). "short" announces more bytes than it sends, then hangs up.
FILES = {
    "/good.bin": (GOOD, len(GOOD)),
    "/corrupt.bin": (GOOD[:-1] + b"X", len(GOOD)),
    "/short-file.bin": (GOOD[:5000], 5000),          # a truncated file served whole
    "/short.bin": (GOOD[:5000], len(GOOD)),          # a transfer cut off midway
    "/text8.zip": (zipped("text8", GOOD), None),
    "/notzip.zip": (GOOD, len(GOOD)),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path not in FILES:
            self.send_error(404)
            return
        body, length = FILES[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def remote(server, path, payload=GOOD, member=None):
    name = "got.bin" if member is None else member
    return RemoteFile(name, server + path, digest_bytes(payload), member=member)


def quiet(*_):
    pass


def test_good_file_is_saved_verified_and_not_fetched_twice(server, tmp_path):
    path = data.fetch(remote(server, "/good.bin"), tmp_path, log=quiet)
    assert path.read_bytes() == GOOD
    messages = []
    data.fetch(remote(server, "/good.bin"), tmp_path, log=messages.append)
    assert "present" in messages[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["got.bin"]


@pytest.mark.parametrize("path, error, message", [
    ("/corrupt.bin", ChecksumError, "sha256 of got.bin is"),
    ("/short-file.bin", ChecksumError, "corrupt, truncated"),
    ("/short.bin", DownloadError, "truncated download"),
    ("/missing.bin", DownloadError, "HTTP 404"),
    ("/notzip.zip", ChecksumError, "not a zip archive"),
])
def test_bad_downloads_leave_nothing_behind(server, tmp_path, path, error, message):
    member = "text8" if path.endswith(".zip") else None
    with pytest.raises(error, match=message):
        data.fetch(remote(server, path, member=member), tmp_path, log=quiet)
    assert list(tmp_path.iterdir()) == []  # no half-written or unverified file under any name


def test_corrupt_file_does_not_replace_a_good_one(server, tmp_path):
    (tmp_path / "got.bin").write_bytes(b"old")
    bad = RemoteFile("got.bin", server + "/corrupt.bin", digest_bytes(GOOD))
    with pytest.raises(ChecksumError):
        data.fetch(bad, tmp_path, log=quiet)
    assert (tmp_path / "got.bin").read_bytes() == b"old"


def test_zip_member_is_unpacked_and_verified(server, tmp_path):
    path = data.fetch(remote(server, "/text8.zip", member="text8"), tmp_path, log=quiet)
    assert path.name == "text8" and path.read_bytes() == GOOD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text8"]


def test_md5_digests(server, tmp_path):
    r = RemoteFile("got.bin", server + "/good.bin", digest_bytes(GOOD, "md5"), "md5")
    assert data.fetch(r, tmp_path, log=quiet).read_bytes() == GOOD


def test_offline_gives_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OfflineError, match="looks offline"):
        data.fetch(RemoteFile("x", f"http://127.0.0.1:{port}/x", "0" * 64), tmp_path, timeout=5, log=quiet)
    assert list(tmp_path.iterdir()) == []


def test_cli_download_reports_checksum_mismatch(server, tmp_path, capsys):
    # The mirror serves a file named like MNIST's, but not MNIST: the recorded SHA-256 must refuse it.
    FILES["/train-images-idx3-ubyte.gz"] = (GOOD, len(GOOD))
    rc = cli.main(["data", "download", "mnist", "--dir", str(tmp_path), "--mirror", server])
    assert rc == 2
    err = capsys.readouterr().err
    assert "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609" in err and "not kept" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_info(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NADAM_REF_DATA", str(tmp_path))
    (tmp_path / "ptb").mkdir()
    (tmp_path / "ptb" / "ptb.train.txt").write_text("x\n")
    assert cli.main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "t10k-images-idx3-ubyte.gz" in out and "questions-words.txt" in out and str(tmp_path) in out
    assert "NOT ptb: checksums differ for ptb.train.txt" in out  # present, but not PTB's file


def test_unknown_data_set():
    with pytest.raises(ValueError, match="unknown data set"):
        data.download("imagenet")


def test_cli_info_json(capsys, monkeypatch, tmp_path):
    import json

    monkeypatch.setenv("NADAM_REF_DATA", str(tmp_path))
    assert cli.main(["data", "info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cache_dir"] == str(tmp_path)
    assert set(report["downloads"]) == {"mnist", "ptb", "text8"}
    assert not any(d["complete"] for d in report["downloads"].values())
