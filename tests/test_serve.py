"""`govflow serve` starts a real server process that answers the API."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from web.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_serves_the_api_from_the_command_line(ctx, settings):
    assert main(["init-db"]) == 0
    port = _free_port()
    env = dict(os.environ, GOVFLOW_DATABASE_URL=settings.database_url,
               GOVFLOW_INSTANCE_DIR=str(settings.instance_dir))
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--no-scheduler"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2) as resp:
                    body = json.load(resp)
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None and body["info"]["title"] == "govflow API"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
