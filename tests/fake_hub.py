"""A local HTTP server that speaks enough of the Hugging Face Hub API for offline push/pull round trips.

Covers what `huggingface_hub` 2.x, `transformers.push_to_hub`/`from_pretrained` and `datasets.push_to_hub`/
`load_dataset` call: repo creation, preupload (with real LFS "basic" transfers, which datasets needs), commits,
tree/paths-info listings, model/dataset/space info and `resolve` downloads, `whoami` and YAML validation.

Usage (set the environment BEFORE huggingface_hub is imported, e.g. in a subprocess):

    hub, server, url = start(tmp_path)
    env = {"HF_ENDPOINT": url, "HF_TOKEN": "hf_fake", "HF_HUB_DISABLE_XET": "1", "HF_HUB_OFFLINE": "0"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

__all__ = ["FakeHub", "start", "hub_env"]

LFS_SUFFIXES = (".safetensors", ".parquet", ".bin", ".pt", ".arrow", ".png", ".dcm", ".tiff", ".jpg")


class FakeHub:
    """Repository storage on disk: `<root>/<type>/<org>/<name>/...` plus `<root>/_lfs/<oid>` for LFS uploads."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.commits: dict[tuple[str, str], str] = {}
        self.private: dict[tuple[str, str], bool] = {}
        self.log: list[str] = []

    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        return self.root / repo_type / repo_id

    def files(self, repo_type: str, repo_id: str) -> list[str]:
        base = self.repo_dir(repo_type, repo_id)
        return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def _make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        # -- helpers ---------------------------------------------------------------------------------------
        def _json(self, obj, code: int = 200, headers: dict | None = None) -> None:
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, code: int, error_code: str, message: str) -> None:
            self._json({"error": message}, code, {"X-Error-Code": error_code, "X-Error-Message": message})

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            self._route()

        def do_HEAD(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def do_PUT(self) -> None:  # LFS "basic" transfer upload target
            oid = urlparse(self.path).path.rsplit("/", 1)[-1]
            (hub.root / "_lfs").mkdir(exist_ok=True)
            (hub.root / "_lfs" / oid).write_bytes(self._body())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        # -- routes ----------------------------------------------------------------------------------------
        def _route(self) -> None:
            url = urlparse(self.path)
            path = unquote(url.path)
            hub.log.append(f"{self.command} {path}")
            host = self.headers["Host"]
            if path == "/api/repos/create" and self.command == "POST":
                req = json.loads(self._body())
                repo_type = req.get("type") or "model"
                repo_id = f"{req.get('organization') or 'user'}/{req['name']}"
                hub.repo_dir(repo_type, repo_id).mkdir(parents=True, exist_ok=True)
                hub.private[(repo_type, repo_id)] = bool(req.get("private"))
                prefix = "" if repo_type == "model" else f"{repo_type}s/"
                return self._json({"url": f"http://{host}/{prefix}{repo_id}", "name": repo_id})
            if path == "/api/validate-yaml":
                self._body()
                return self._json({"errors": [], "warnings": []})
            if path == "/api/whoami-v2":
                return self._json(
                    {"name": "user", "type": "user", "orgs": [], "auth": {"accessToken": {"role": "write"}}}
                )
            match = re.match(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)\.git/info/lfs/objects/batch$", path)
            if match and self.command == "POST":
                req = json.loads(self._body())
                objects = [
                    {
                        "oid": obj["oid"],
                        "size": obj["size"],
                        "authenticated": True,
                        "actions": {"upload": {"href": f"http://{host}/lfs-upload/{obj['oid']}"}},
                    }
                    for obj in req["objects"]
                ]
                return self._json({"transfer": "basic", "objects": objects})
            match = re.match(r"^/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/(.*))?$", path)
            if match:
                return self._api(match.group(1)[:-1], match.group(2), match.group(3) or "", url, host)
            match = re.match(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
            if match:
                return self._resolve((match.group(1) or "models")[:-1], match.group(2), match.group(4))
            return self._error(404, "EntryNotFound", f"unknown route {path}")

        def _api(self, repo_type: str, repo_id: str, rest: str, url, host: str) -> None:
            repo = hub.repo_dir(repo_type, repo_id)
            if rest.startswith("preupload/"):
                req = json.loads(self._body())
                files = [
                    {
                        "path": f["path"],
                        "shouldIgnore": False,
                        "uploadMode": "lfs" if f["path"].endswith(LFS_SUFFIXES) else "regular",
                    }
                    for f in req["files"]
                ]
                return self._json({"files": files})
            if not repo.is_dir():
                return self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
            if rest.startswith("commit/"):
                for line in self._body().decode().splitlines():
                    if not line.strip():
                        continue
                    op = json.loads(line)
                    value = op.get("value", {})
                    if op["key"] in ("file", "lfsFile"):
                        dst = repo / value["path"]
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        if op["key"] == "file":
                            dst.write_bytes(base64.b64decode(value["content"]))
                        else:
                            shutil.copyfile(hub.root / "_lfs" / value["oid"], dst)
                    elif op["key"] == "deletedFile":
                        (repo / value["path"]).unlink(missing_ok=True)
                    elif op["key"] == "deletedFolder":
                        shutil.rmtree(repo / value["path"], ignore_errors=True)
                sha = hashlib.sha1(f"{time.time()}{repo_id}".encode()).hexdigest()
                hub.commits[(repo_type, repo_id)] = sha
                prefix = "" if repo_type == "model" else f"{repo_type}s/"
                return self._json(
                    {
                        "commitUrl": f"http://{host}/{prefix}{repo_id}/commit/{sha}",
                        "commitOid": sha,
                        "pullRequestUrl": None,
                    }
                )

            def item(rel: str) -> dict:
                full = repo / rel
                if full.is_dir():
                    return {"type": "directory", "path": rel, "oid": "0" * 40}
                data = full.read_bytes()
                return {"type": "file", "path": rel, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}

            if rest.startswith("paths-info/"):
                body = self._body().decode()
                try:
                    wanted = json.loads(body).get("paths", [])
                except json.JSONDecodeError:
                    wanted = parse_qs(body).get("paths", [])
                return self._json([item(p) for p in wanted if (repo / p).exists()])
            if rest.startswith("tree/"):
                sub = rest.split("/", 2)[2] if rest.count("/") >= 2 else ""
                base = repo / sub
                if not base.is_dir():
                    return self._error(404, "EntryNotFound", f"{sub} not found")
                recursive = parse_qs(url.query).get("recursive", ["false"])[0].lower() == "true"
                out = []
                for dirpath, dirnames, filenames in os.walk(base):
                    out += [item(os.path.relpath(os.path.join(dirpath, n), repo)) for n in dirnames + filenames]
                    if not recursive:
                        break
                return self._json(out)
            if rest == "" or rest.startswith("revision/"):
                siblings = [{"rfilename": f, "size": (repo / f).stat().st_size} for f in hub.files(repo_type, repo_id)]
                return self._json(
                    {
                        "id": repo_id,
                        "_id": repo_id,
                        "sha": hub.commits.get((repo_type, repo_id), "0" * 40),
                        "siblings": siblings,
                        "private": hub.private.get((repo_type, repo_id), False),
                        "tags": [],
                        "lastModified": "2026-01-01T00:00:00.000Z",
                        "cardData": {},
                        "downloads": 0,
                        "likes": 0,
                    }
                )
            return self._error(404, "EntryNotFound", f"unsupported {rest}")

        def _resolve(self, repo_type: str, repo_id: str, filename: str) -> None:
            repo = hub.repo_dir(repo_type, repo_id)
            if not repo.is_dir():
                return self._error(404, "RepoNotFound", "Repository not found")
            target = repo / filename
            if not target.is_file():
                return self._error(404, "EntryNotFound", f"{filename} not found")
            data = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", '"' + hashlib.sha1(data).hexdigest() + '"')
            self.send_header("X-Repo-Commit", hub.commits.get((repo_type, repo_id), "0" * 40))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

    return Handler


def start(root: str | os.PathLike, host: str = "127.0.0.1", port: int = 0) -> tuple[FakeHub, ThreadingHTTPServer, str]:
    """Start the fake Hub in a daemon thread; returns `(hub, server, url)`. Call `server.shutdown()` when done."""
    hub = FakeHub(root)
    server = ThreadingHTTPServer((host, port), _make_handler(hub))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return hub, server, f"http://{host}:{server.server_address[1]}"


def hub_env(url: str, cache_dir: str | os.PathLike) -> dict[str, str]:
    """Environment for a subprocess that talks to the fake Hub at `url` with its own cache."""
    env = dict(os.environ)
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(key, None)
    env.update(
        HF_ENDPOINT=url,
        HF_TOKEN="hf_fake",
        HF_HUB_DISABLE_XET="1",
        HF_HOME=str(cache_dir),
        HF_HUB_DISABLE_TELEMETRY="1",
    )
    return env
