"""The built wheel ships everything govflow needs: built from (a copy of) the checkout, installed with
its dependencies into a fresh virtual environment outside the checkout, the installed `govflow demo`
deploys every procedure of all five jurisdictions and walks the sample projects, `govflow validate`
passes on a diagram in site-packages, and one task is completed through the REST API (and the pages
render from the installed templates, the project page without bpmn-js).

It needs PyPI (the build backend and the dependencies; pip's cache makes repeated runs quick) and skips,
naming the reason, only when pip cannot reach it. It does not touch PostgreSQL, so it runs in the
SQLite pass of scripts/test only."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA_DIRS = ("engine", "web", "forms", "processes", "bpmn_diagrams")
CITIES = ("yeji", "huaian", "suqian", "jiujiang", "yaohai")
# What a build copies from the checkout: the source, without environments, caches and build output
# (in-tree build/ could leak stale files into the wheel, and the build must not write into the checkout).
TOP_NOT_COPIED = {".git", ".venv", "node_modules", "build", "dist", "instance", "artifacts"}
ANYWHERE_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache", ".ruff_cache")


def _not_copied(folder: str, names: list[str]) -> set[str]:
    skipped = set(ANYWHERE_NOT_COPIED(folder, names))
    return skipped | (TOP_NOT_COPIED & set(names)) if Path(folder) == REPO else skipped


# Planted in the copy: none of it may end up in the wheel.
PLANTED = ("node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "instance/secret_key")

pytestmark = pytest.mark.skipif(os.environ.get("GOVFLOW_TEST_DB", "sqlite") == "postgresql",
                                reason="packaging test: needs no database and ran in the SQLite pass")


def _run(cmd, *, timeout=600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs)


def _check(result: subprocess.CompletedProcess, what: str) -> str:
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _pypi_reachable(tmp: Path) -> None:
    probe = _run([sys.executable, "-m", "pip", "download", "--no-deps", "--retries", "0", "--timeout", "15",
                  "--quiet", "--dest", tmp / "probe", "SpiffWorkflow==3.2.0"], timeout=120)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["(no output)"])[-1]
        pytest.skip(f"cannot build and install the wheel: pip cannot reach PyPI ({last})")


def _clean_env(**extra) -> dict:
    """The environment of the installed commands: none of the test run's GOVFLOW_* settings (its database),
    no PYTHONPATH into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GOVFLOW_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel path, the venv's python), the wheel built from a copy of the checkout and installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    _pypi_reachable(tmp)
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=_not_copied)
    for planted in PLANTED:
        (src / planted).parent.mkdir(parents=True, exist_ok=True)
        (src / planted).write_text("planted by tests/test_wheel.py\n")
    dist = tmp / "dist"
    build = subprocess.Popen([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--quiet", "-w", str(dist)],
                             cwd=src, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    venv = tmp / "venv"
    _check(_run([sys.executable, "-m", "venv", "--without-pip", venv]), "python -m venv")
    out, err = build.communicate(timeout=600)
    assert build.returncode == 0, f"pip wheel failed:\n{out}\n{err}"
    wheels = list(dist.glob("govflow-*.whl"))
    assert len(wheels) == 1, wheels
    python = venv / "bin" / "python"
    # The checkout's pip installs into the new environment (no ensurepip), reusing pip's cache.
    _check(_run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheels[0]], cwd=tmp),
           "pip install of the wheel")
    return wheels[0], python, src


def test_wheel_holds_code_data_migrations_and_pages_only(built):
    wheel, _python, src = built
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {p.relative_to(src).as_posix() for top in DATA_DIRS for p in (src / top).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)}"
    tops = {name.split("/", 1)[0] for name in names if ".dist-info/" not in name}
    assert tops == set(DATA_DIRS), f"unexpected top-level entries: {sorted(tops - set(DATA_DIRS))}"
    for city in CITIES:
        assert f"bpmn_diagrams/{city}/{city}.bpmn" in names
        assert any(n.startswith(f"forms/{city}/") and n.endswith(".schema.json") for n in names), city
        for file in ("jurisdiction.json", "citations.json", "demo.json", "README.md"):
            assert f"processes/{city}/{file}" in names
    assert "engine/migrations/script.py.mako" in names and "engine/migrations/env.py" in names
    assert any(n.startswith("engine/migrations/versions/0001_") for n in names)
    assert "web/ui/templates/ui/instance.html" in names and "web/ui/static/css/app.css" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


API_WALK = r'''
import json, os, re, sysconfig
from pathlib import Path
import engine
from engine import config
from web.app import create_app

site = Path(sysconfig.get_paths()["purelib"]).resolve()
out = {"engine": engine.__file__, "root": str(config.ROOT), "site": str(site)}
app = create_app()
client = app.test_client()
sample = json.loads((config.ROOT / "processes" / "yeji" / "demo.json").read_text("utf-8"))["projects"][0]
facts = dict(sample["facts"], project_name="安装包验证项目")
declare = next(step["data"] for step in sample["steps"] if step.get("task") == "Declare")

reply = client.post("/api/v1/auth/token", json={"username": "yeji_applicant1", "password": "demo2026"})
headers = {"Authorization": "Bearer " + reply.get_json()["token"]}
reply = client.post("/api/v1/instances", json={"process": "yeji", "data": facts}, headers=headers)
out["start"] = [reply.status_code, reply.get_json()]
iid = reply.get_json()["id"]
inbox = client.get("/api/v1/tasks?per_page=200", headers=headers).get_json()
task = next(t for t in inbox if t["instance_id"] == iid and t["name"] == "Declare")
# demo.json names the documents (建设方案.pdf): each is uploaded first and its id goes in the field
import io
from engine.services.attachments import placeholder
form = client.get(f"/api/v1/tasks/{task['id']}", headers=headers).get_json()["form"]["schema"]["properties"]
for key, value in list(declare.items()):
    if (form.get(key) or {}).get("x-widget") == "attachment":
        upload = client.post(f"/api/v1/tasks/{task['id']}/attachments", headers=headers,
                             data={"file": (io.BytesIO(placeholder(value)), value)}, content_type="multipart/form-data")
        declare[key] = str(upload.get_json()["id"])
reply = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": declare}, headers=headers)
out["complete"] = [reply.status_code, reply.get_json()]

# a browser session lives on the server (user_sessions): sign in through the form
login = client.get("/login").get_data(as_text=True)
csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
signed_in = client.post("/login", data={"username": "yeji_applicant1", "password": "demo2026", "csrf_token": csrf})
out["login"] = signed_in.status_code
page = client.get(f"/instances/{iid}")
out["page"] = [page.status_code, page.get_data(as_text=True)]
out["inbox_page"] = client.get("/").status_code
out["css"] = client.get("/assets/css/app.css").status_code
vendor = client.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
out["vendor"] = [vendor.status_code, vendor.get_data(as_text=True)]

# An operator's own bpmn-js (GOVFLOW_BPMN_JS_DIR): the page loads the viewer, the files are served.
dist = Path("bpmn-js-dist")
(dist / "assets").mkdir(parents=True)
(dist / "bpmn-navigated-viewer.production.min.js").write_text("/* viewer */")
(dist / "assets" / "bpmn-js.css").write_text("/* css */")
os.environ["GOVFLOW_BPMN_JS_DIR"] = str(dist.resolve())
page = client.get(f"/instances/{iid}").get_data(as_text=True)
out["with_bpmn_js"] = ["bpmn-navigated-viewer" in page, "流程图组件未安装" in page,
                       client.get("/vendor/bpmn-js/assets/bpmn-js.css").status_code]
print(json.dumps(out, ensure_ascii=False))
'''


def _process_keys() -> dict[str, list[str]]:
    keys = {}
    for city in CITIES:
        raw = json.loads((REPO / "processes" / city / "jurisdiction.json").read_text(encoding="utf-8"))
        keys[city] = list(raw["processes"])
    return keys


def _sample_count() -> int:
    return sum(len(json.loads((REPO / "processes" / c / "demo.json").read_text(encoding="utf-8"))["projects"])
               for c in CITIES)


def test_installed_demo_deploys_everything_and_a_task_completes(built, tmp_path):
    _wheel, python, _src = built
    work = tmp_path / "work"          # a fresh folder outside the checkout, as an operator would run it
    work.mkdir()
    env = _clean_env(GOVFLOW_INSTANCE_DIR=str(tmp_path / "instance"),
                     PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    govflow = python.parent / "govflow"

    demo = _check(_run([govflow, "demo"], cwd=work, env=env), "govflow demo")
    lines = [line.strip() for line in demo.splitlines()]
    assert not [line for line in lines if line.startswith("跳过未建模的流程")], demo
    for city, keys in _process_keys().items():
        for key in keys:
            assert f"流程 {key} v1（新部署）" in lines, f"{city}: {key} not deployed:\n{demo}"
    assert len([line for line in lines if line.startswith("示例项目：")]) == _sample_count(), demo
    assert (tmp_path / "instance" / "govflow.sqlite3").is_file()
    assert not (work / "instance").exists()

    walk = json.loads(_check(_run([python, "-c", API_WALK], cwd=work, env=env), "API walk").splitlines()[-1])
    site = Path(walk["site"])
    assert Path(walk["engine"]).resolve().is_relative_to(site) and Path(walk["root"]) == site, walk
    assert walk["start"][0] == 201, walk["start"]
    status, body = walk["complete"]
    assert status == 200, body
    assert body["instance"]["status"] == "running" and body["instance"]["active_tasks"]
    assert "Declare" not in [t["name"] for t in body["instance"]["active_tasks"]]
    assert walk["login"] == 303, walk["login"]
    page_status, html = walk["page"]
    assert page_status == 200 and "安装包验证项目" in html
    assert "流程图组件未安装" in html           # no node_modules beside site-packages: the notice, not the viewer
    assert "bpmn-navigated-viewer" not in html
    assert walk["inbox_page"] == 200 and walk["css"] == 200
    assert walk["vendor"][0] == 503 and "GOVFLOW_BPMN_JS_DIR" in walk["vendor"][1]
    assert walk["with_bpmn_js"] == [True, False, 200]

    diagram = site / "bpmn_diagrams" / "yeji" / "yeji.bpmn"
    validated = _check(_run([govflow, "validate", diagram], cwd=work, env=env), "govflow validate")
    assert "校验通过：1 个文件" in validated
