"""Official documents as HTML and PDF. The templates are designers' files, not code: Jinja HTML and
CSS under processes/common/documents/ (one per kind, `base.html`, `document.css`), each overridable by
a file of the same name under processes/<key>/documents/ (a city's own header, seal line or wording).

The PDF is made by WeasyPrint with Debian's Noto CJK fonts (fonts-noto-cjk). It is reproducible: the
same snapshot gives the same bytes — its dates are the document's own (the issuing day, not the
rendering time) and its file identifier is derived from the document's id and number."""
from __future__ import annotations

import hashlib
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from engine.registry import Jurisdiction

COMMON = Path("common") / "documents"
_ENVIRONMENTS: dict[tuple, Environment] = {}


def _environment(processes_dir: Path, jurisdiction: Jurisdiction) -> Environment:
    folders = []
    if jurisdiction.documents is not None and jurisdiction.documents.templates is not None:
        folders.append(jurisdiction.documents.templates)
    folders.append(Path(processes_dir) / COMMON)
    key = tuple(str(f) for f in folders)
    env = _ENVIRONMENTS.get(key)
    if env is None:
        env = Environment(loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
                          autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, auto_reload=True)
        env.filters["paragraphs"] = _paragraphs
        _ENVIRONMENTS[key] = env
    return env


def _paragraphs(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def html(processes_dir: Path, jurisdiction: Jurisdiction, snapshot: dict) -> str:
    """The document's HTML: `<kind>.html` (the city's, else the shared one) with the stylesheet inlined."""
    env = _environment(processes_dir, jurisdiction)
    css, _path, _uptodate = env.loader.get_source(env, "document.css")   # the designers' stylesheet, as written
    return env.get_template(f"{snapshot['kind']}.html").render(doc=snapshot, css=Markup(css.replace("</", "<\\/")))


def render(processes_dir: Path, jurisdiction: Jurisdiction, snapshot: dict, document_id: int) -> bytes:
    """The PDF of a snapshot: same snapshot, same bytes."""
    from weasyprint import HTML  # loads pango: only where a PDF is made

    identifier = hashlib.sha256(f"govflow-document:{document_id}:{snapshot['number']}".encode()).hexdigest()[:32]
    return HTML(string=html(processes_dir, jurisdiction, snapshot)).write_pdf(
        pdf_identifier=identifier.encode("ascii"), uncompressed_pdf=False)
