"""A minimal Hugging Face Hub stand-in on 127.0.0.1 for tests (huggingface_hub talks to it via HF_ENDPOINT).

It answers the two requests `hf_hub_download` makes, HEAD and GET of `/<org>/<repo>/resolve/<revision>/<file>`,
with the headers the client relies on (X-Repo-Commit, ETag, Content-Length), and 404 + `X-Error-Code:
EntryNotFound` for files a repo lacks. Every request is recorded so tests can assert what was fetched.
`published` replaces the content the ETag (sha256) is computed from, to serve a file that differs from what the
Hub lists, as a download damaged on its way would.
"""
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import unquote

COMMIT = 'a' * 40


class HubServer:
    def __init__(self, repos: Dict[str, Dict[str, bytes]], published: Optional[Dict[str, Dict[str, bytes]]] = None):
        self.repos = repos
        self.published = published or {}
        self.requests: List[Tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def _resolve(self):
                path = unquote(self.path.split('?', 1)[0]).lstrip('/')
                server.requests.append((self.command, path))
                parts = path.split('/')
                # <org>/<repo>/resolve/<revision>/<file...>
                if len(parts) < 5 or parts[2] != 'resolve':
                    return None, None
                repo_id, filename = '/'.join(parts[:2]), '/'.join(parts[4:])
                return repo_id, filename

            def _respond(self, with_body: bool):
                repo_id, filename = self._resolve()
                files = server.repos.get(repo_id)
                if files is None or filename not in files:
                    self.send_response(404)
                    self.send_header('X-Error-Code', 'RepoNotFound' if files is None else 'EntryNotFound')
                    self.send_header('X-Repo-Commit', COMMIT)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                body = files[filename]
                listed = server.published.get(repo_id, {}).get(filename, body)
                self.send_response(200)
                self.send_header('X-Repo-Commit', COMMIT)
                self.send_header('ETag', f'"{hashlib.sha256(listed).hexdigest()}"')
                self.send_header('Content-Length', str(len(body)))
                self.send_header('Content-Type', 'application/octet-stream')
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_HEAD(self):
                self._respond(False)

            def do_GET(self):
                self._respond(True)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.httpd.server_address[1]}'

    def __enter__(self) -> 'HubServer':
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def repo_from_folder(folder: Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}
