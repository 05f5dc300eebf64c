"""``diplowire kibana import``: load the saved objects of ``deploy/kibana/`` into Kibana.

Uses Kibana's saved-objects import API (``POST /api/saved_objects/_import``, multipart NDJSON,
``kbn-xsrf`` header), the same call as Stack Management's import button.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diplowire import resources
from diplowire.wire.settings import KibanaSettings

# deploy/kibana/diplomatic-desk.ndjson, shipped in the package (diplowire/resources.py).
DEFAULT_ASSETS = resources.kibana_objects(check=False)


class KibanaError(RuntimeError):
    """A failure worth one line (plus details) to the user."""


@dataclass
class ImportResult:
    success: bool
    success_count: int
    errors: list[str] = field(default_factory=list)


def _auth_header(settings: KibanaSettings) -> dict[str, str]:
    if settings.api_key:
        return {"Authorization": f"ApiKey {settings.api_key.reveal()}"}
    if settings.username:
        token = f"{settings.username}:{settings.password.reveal()}".encode()
        return {"Authorization": f"Basic {base64.b64encode(token).decode()}"}
    return {}


def _base(settings: KibanaSettings) -> str:
    base = settings.url.rstrip("/")
    return f"{base}/s/{settings.space}" if settings.space else base


def _multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = f"diplowire-{uuid.uuid4().hex}"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/ndjson\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _request(settings: KibanaSettings, req: urllib.request.Request) -> Any:
    try:
        with urllib.request.urlopen(req, timeout=settings.request_timeout_s) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode("utf-8", "replace")
        hint = {
            401: " (set kibana.username/password or kibana.api_key)",
            403: " (the user needs the saved-objects management privilege)",
            404: " (is this Kibana, and does the space exist?)",
        }.get(exc.code, "")
        raise KibanaError(f"Kibana at {settings.url} answered {exc.code}{hint}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise KibanaError(
            f"Kibana is not reachable at {settings.url}: {reason}. Start Kibana 8.x (matching "
            "the Elasticsearch major), or point DIPLOWIRE_KIBANA_URL at it."
        ) from exc
    except json.JSONDecodeError as exc:
        raise KibanaError(f"{settings.url} did not answer JSON: is it Kibana?") from exc


def check_objects(path: Path) -> list[dict[str, Any]]:
    """Parse the NDJSON file so that a broken file fails here, not half-imported in Kibana."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise KibanaError(f"cannot read {path}: {exc.strerror}") from exc
    objects = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise KibanaError(f"{path}:{n}: not JSON: {exc}") from exc
        if not isinstance(obj, dict) or "type" not in obj or "id" not in obj:
            raise KibanaError(f"{path}:{n}: not a saved object (no type/id)")
        objects.append(obj)
    return objects


def import_objects(
    settings: KibanaSettings,
    path: Path = DEFAULT_ASSETS,
    *,
    overwrite: bool = True,
    index_pattern: str | None = None,
    time_range: tuple[str, str] | None = None,
) -> ImportResult:
    """Import the NDJSON file; ``index_pattern`` retitles the data views (another alias),
    ``time_range`` (timeFrom, timeTo) replaces the range the dashboards restore."""
    objects = check_objects(path)
    for obj in objects:
        if index_pattern and obj["type"] == "index-pattern":
            obj["attributes"]["title"] = index_pattern
        if time_range and obj["type"] == "dashboard":
            obj["attributes"].update(timeRestore=True, timeFrom=time_range[0], timeTo=time_range[1])
    ndjson = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode()
    body, ctype = _multipart("file", path.name, ndjson)
    query = "?overwrite=true" if overwrite else ""
    req = urllib.request.Request(
        f"{_base(settings)}/api/saved_objects/_import{query}",
        data=body,
        method="POST",
        headers={"kbn-xsrf": "diplowire", "Content-Type": ctype, **_auth_header(settings)},
    )
    resp = _request(settings, req)
    errors = [
        f"{e.get('type')}/{e.get('id')} ({e.get('title', '')}): "
        f"{json.dumps(e.get('error', {}), ensure_ascii=False)}"
        for e in resp.get("errors") or []
    ]
    return ImportResult(bool(resp.get("success")), int(resp.get("successCount", 0)), errors)
