"""Fetching against a local HTTP server that serves tiny atomic-file archives built here."""
from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import threading
import zipfile

import pytest

from strikebench.datasets.fetch import CHECKSUM_FILE, FetchError, fetch, main
from strikebench.errors import StrikebenchError

INTER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4\t100\n2\t10\t3\t101\n"
ITEM = "item_id:token\tclass:token_seq\n10\tDrama\n"


def make_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}
    truncated: set[str] = set()

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        cut = self.path in self.truncated
        self.send_response(200)
        # A truncated transfer: promise more bytes than are sent, then hang up.
        self.send_header("Content-Length", str(len(body) + 5000 if cut else len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if cut else body)
        self.close_connection = True

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server():
    _Handler.routes, _Handler.truncated = {}, set()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    httpd.shutdown()
    httpd.server_close()


def cfg(url, sha256=None, name="tiny"):
    return {
        "name": name, "source": "download", "url": url, "sha256": sha256, "archive": "zip",
        "instructions": None, "has_ratings": True,
        "recbole": {"load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]}},
        "synthetic": None,
    }


def test_good_archive_is_unpacked_recorded_and_verified_again(server, tmp_path):
    base, handler = server
    archive = make_zip({"tiny.inter": INTER, "tiny.item": ITEM})
    handler.routes["/tiny.zip"] = archive
    root = tmp_path / "data"

    path = fetch(cfg(base + "/tiny.zip"), root, progress=False)

    assert path == root / "tiny"
    assert (path / "tiny.inter").read_text() == INTER
    assert (path / "tiny.item").read_text() == ITEM
    record = json.loads((path / CHECKSUM_FILE).read_text())
    assert record["sha256"] == hashlib.sha256(archive).hexdigest()
    assert record["bytes"] == len(archive)
    assert sorted(p.name for p in root.iterdir()) == ["tiny"]  # no temporary leftovers

    # Present already: returned without downloading.
    handler.routes.clear()
    assert fetch(cfg(base + "/tiny.zip"), root, progress=False) == path

    # Downloaded again: verified against the record, and replaced.
    handler.routes["/tiny.zip"] = archive
    assert fetch(cfg(base + "/tiny.zip"), root, progress=False, force=True) == path
    assert json.loads((path / CHECKSUM_FILE).read_text()) == record

    # The upstream file changed: refused, and the local copy is left as it was.
    handler.routes["/tiny.zip"] = make_zip({"tiny.inter": INTER + "3\t10\t5\t102\n"})
    with pytest.raises(FetchError, match="checksum mismatch") as err:
        fetch(cfg(base + "/tiny.zip"), root, progress=False, force=True)
    assert CHECKSUM_FILE in str(err.value)
    assert (path / "tiny.inter").read_text() == INTER
    assert sorted(p.name for p in root.iterdir()) == ["tiny"]


def test_folder_in_archive_and_other_file_prefix(server, tmp_path):
    base, handler = server
    # RecBole's Amazon archives hold Amazon_Books.inter etc.; some archives wrap a folder.
    handler.routes["/a.zip"] = make_zip({"Tiny_Set/Tiny_Set.inter": INTER,
                                         "Tiny_Set/Tiny_Set.item": ITEM})
    path = fetch(cfg(base + "/a.zip"), tmp_path, progress=False)
    assert sorted(p.name for p in path.iterdir()) == [CHECKSUM_FILE, "tiny.inter", "tiny.item"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_bad_published_checksum_leaves_nothing(server, tmp_path):
    base, handler = server
    handler.routes["/tiny.zip"] = make_zip({"tiny.inter": INTER})
    root = tmp_path / "data"
    with pytest.raises(FetchError) as err:
        fetch(cfg(base + "/tiny.zip", sha256="0" * 64), root, progress=False)
    message = str(err.value)
    assert "checksum mismatch" in message and "0" * 64 in message
    assert "retry" in message and base + "/tiny.zip" in message and str(root / "tiny") in message
    assert list(root.iterdir()) == []


def test_truncated_transfer_leaves_nothing_and_a_retry_works(server, tmp_path):
    base, handler = server
    archive = make_zip({"tiny.inter": INTER})
    handler.routes["/tiny.zip"] = archive
    handler.truncated.add("/tiny.zip")
    root = tmp_path / "data"
    with pytest.raises(FetchError, match="cut short") as err:
        fetch(cfg(base + "/tiny.zip"), root, progress=False)
    assert "retry" in str(err.value) and "by hand" in str(err.value)
    assert list(root.iterdir()) == []

    handler.truncated.clear()
    path = fetch(cfg(base + "/tiny.zip"), root, progress=False)
    assert (path / "tiny.inter").read_text() == INTER


def test_not_an_archive_leaves_nothing(server, tmp_path):
    base, handler = server
    handler.routes["/tiny.zip"] = b"<html>not found</html>"
    with pytest.raises(FetchError, match="unpacked"):
        fetch(cfg(base + "/tiny.zip"), tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_no_server(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/tiny.zip"
    with pytest.raises(FetchError) as err:
        fetch(cfg(url), tmp_path, progress=False)
    message = str(err.value)
    assert "could not download tiny" in message
    assert "strikebench data fetch tiny" in message and url in message
    assert str(tmp_path / "tiny") in message
    assert list(tmp_path.iterdir()) == []


def test_fetch_errors_are_strikebench_errors():
    assert issubclass(FetchError, StrikebenchError)


def test_cli_list_and_errors(tmp_path, capsys):
    assert main(["list", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ml-100k" in out and "bundled" in out and "present" in out
    assert "ml-1m" in out and "strikebench data fetch ml-1m" in out

    assert main(["fetch", "no-such-set", "--data-root", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no-such-set" in err and "ml-1m" in err

    assert main(["fetch", "yelp", "--data-root", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "yelp.com/dataset" in err and str(tmp_path / "yelp") in err
    assert list(tmp_path.iterdir()) == []

    assert main(["fetch"]) == 2  # usage error from argparse, no traceback
