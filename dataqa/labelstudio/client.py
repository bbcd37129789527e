"""A thin REST client for Label Studio (plain HTTP with ``requests``).

The SDK lists tasks page by page with every field (about 12 s for 2,000 tasks); asking
the REST API for only ``id`` and ``data`` in one large page takes well under a second,
so dataqa talks HTTP directly. Every call goes through :meth:`LabelStudioClient.request`,
the seam tests replace to simulate failures.

The API key is held privately: it is sent in the ``Authorization`` header and never put
in ``repr``, log records or error messages.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import requests

from dataqa.errors import (
    InvalidSettingError,
    LabelStudioAuthError,
    LabelStudioConnectionError,
    LabelStudioError,
    LabelStudioProjectError,
)

__all__ = ["LabelStudioClient", "connect", "client_session", "server_url", "DEFAULT_URL",
           "DEFAULT_TIMEOUT"]

logger = logging.getLogger(__name__)

#: Used when neither ``url`` nor ``LABEL_STUDIO_URL`` is given.
DEFAULT_URL = "http://127.0.0.1:8089"

#: Seconds to wait for one response (``--timeout`` on the command line).
DEFAULT_TIMEOUT = 60.0

#: Largest page asked for when listing tasks.
_PAGE_SIZE = 5000


#: Seconds waited before each new try of a GET, PATCH, PUT or DELETE the server answered
#: quickly with HTTP 500 or 503.
_RETRY_WAITS = (0.5, 1.0, 2.0)
#: A failure slower than this many seconds is not tried again.
_RETRY_IF_WITHIN_S = 5.0


def _detail(resp: requests.Response) -> str:
    """A short, key-free description of an error response."""
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip().replace("\n", " ")
        return text[:200] if not text.lstrip().startswith("<") else f"HTTP {resp.status_code}"
    if isinstance(body, Mapping):
        if body.get("validation_errors"):
            return json.dumps(body["validation_errors"])[:500]
        if body.get("detail"):
            return str(body["detail"])[:500]
    return json.dumps(body)[:500]


def server_url(url: str | None = None) -> str:
    """The server address a client connects to: ``url``, else ``$LABEL_STUDIO_URL``,
    else :data:`DEFAULT_URL`."""
    return url or os.environ.get("LABEL_STUDIO_URL") or DEFAULT_URL


class LabelStudioClient:
    """Connection to one Label Studio server.

    Parameters
    ----------
    url : str, optional
        Base address, e.g. ``http://127.0.0.1:8089``. Default: ``$LABEL_STUDIO_URL``,
        else :data:`DEFAULT_URL`.
    api_key : str, optional
        The user's API token (legacy token). Default: ``$LABEL_STUDIO_API_KEY``.
    timeout : float
        Seconds to wait for one response (imports and exports of large projects get 10x).

    Raises
    ------
    LabelStudioAuthError
        No API key was given and ``LABEL_STUDIO_API_KEY`` is not set.
    """

    def __init__(self, url: str | None = None, api_key: str | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        url = server_url(url)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidSettingError(
                f"Label Studio url {url!r} must start with http:// or https://.")
        key = api_key if api_key is not None else os.environ.get("LABEL_STUDIO_API_KEY")
        if not key:
            raise LabelStudioAuthError(
                "no Label Studio API key: set the environment variable LABEL_STUDIO_API_KEY "
                "(the dataqa command reads the key from there only; in Python, api_key= "
                "works too) to the legacy token of Account & Settings in the Label Studio UI, "
                "or to the contents of the api_key file that `make labelstudio` (python -m "
                "dataqa.labelstudio.server) printed: export LABEL_STUDIO_API_KEY=$(cat "
                "build/labelstudio/api_key) with its default data folder.")
        if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                or not timeout > 0 or timeout == float("inf")):
            raise InvalidSettingError(
                f"timeout must be a number of seconds > 0, not {timeout!r} (--timeout on the "
                f"command line).")
        self.url = url.rstrip("/")
        self.timeout = float(timeout)
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Token {key}"
        self._session.headers["Accept"] = "application/json"
        self._users: dict[int, str] | None = None

    def __repr__(self) -> str:
        return f"LabelStudioClient(url={self.url!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> LabelStudioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the seam

    def _send(self, method: str, url: str, path: str, params: Any, json_body: Any,
              timeout: float | None) -> requests.Response:
        """One HTTP exchange; an unreachable or silent server raises
        :class:`LabelStudioConnectionError`."""
        try:
            return self._session.request(method, url, params=params, json=json_body,
                                         timeout=timeout or self.timeout)
        except requests.ConnectionError as exc:
            raise LabelStudioConnectionError(
                f"cannot reach Label Studio at {self.url} ({type(exc).__name__}); start the "
                f"server (`make labelstudio`) or give its address with --url or $LABEL_STUDIO_URL "
                f"(API: url=)."
            ) from None
        except requests.Timeout:
            raise LabelStudioConnectionError(
                f"Label Studio at {self.url} did not answer {method} {path} within "
                f"{timeout or self.timeout:g} s; check that the server is up, or wait longer "
                f"with --timeout SECONDS (timeout= in Python)."
            ) from None

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
                json_body: Any = None, timeout: float | None = None) -> Any:
        """Send one request and return the decoded JSON (``None`` for empty bodies).

        Raises
        ------
        LabelStudioConnectionError
            The server cannot be reached (refused, timed out, reset).
        LabelStudioAuthError
            HTTP 401/403: the API key was refused.
        LabelStudioProjectError
            HTTP 404.
        LabelStudioError
            Any other error status; the message carries the server's explanation.
        """
        url = f"{self.url}{path}"
        # a quick HTTP 500 or 503 to a request that may be repeated (Label Studio's SQLite
        # answers 500 "database is locked" while another client writes) is tried again; a
        # POST is not (an import is found by listing, a project creation checked after),
        # nor a slow failure or a gateway's 502/504 (each try would take as long again)
        waits = _RETRY_WAITS if method.upper() in ("GET", "PATCH", "PUT", "DELETE") else ()
        for wait in (*waits, None):
            started = time.monotonic()
            resp = self._send(method, url, path, params, json_body, timeout)
            if (resp.status_code not in (500, 503) or wait is None
                    or time.monotonic() - started > _RETRY_IF_WITHIN_S):
                break
            logger.info("%s %s -> HTTP %s; trying again in %g s", method, path,
                        resp.status_code, wait)
            time.sleep(wait)
        logger.debug("%s %s -> %s", method, path, resp.status_code)
        if resp.status_code in (401, 403):
            raise LabelStudioAuthError(
                f"Label Studio at {self.url} refused the API key (HTTP {resp.status_code}: "
                f"{_detail(resp)}); check LABEL_STUDIO_API_KEY (api_key= in Python; use the legacy "
                f"token from Account & Settings; a server started by dataqa enables it).")
        if resp.status_code == 404:
            detail = _detail(resp)
            extra = f": {detail}" if detail and detail != "HTTP 404" else ""
            raise LabelStudioProjectError(
                f"Label Studio at {self.url} has no {path} (HTTP 404{extra}).")
        if resp.status_code >= 400:
            raise LabelStudioError(
                f"Label Studio at {self.url} rejected {method} {path} "
                f"(HTTP {resp.status_code}): {_detail(resp)}")
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise LabelStudioError(
                f"Label Studio at {self.url} answered {method} {path} with something that is "
                f"not JSON; is the url that of a Label Studio server?") from None

    # ------------------------------------------------------------------ checks

    def check(self) -> dict:
        """Check that the server answers and accepts the key; returns the current user.

        Raises :class:`LabelStudioConnectionError` or :class:`LabelStudioAuthError`.
        """
        try:
            return self.request("GET", "/api/current-user/whoami")
        except LabelStudioProjectError:  # a 404 there: another kind of server answers
            raise LabelStudioConnectionError(
                f"something answers at {self.url}, but not as Label Studio: it has no "
                f"/api/current-user/whoami (HTTP 404); check that --url or LABEL_STUDIO_URL "
                f"(url= in Python) is the address of a Label Studio server (`make "
                f"labelstudio` starts one).") from None

    # ------------------------------------------------------------------ projects

    def projects(self) -> list[dict]:
        """Every project the user can see (``id``, ``title``, ``label_config`` ...)."""
        out: list[dict] = []
        page = 1
        while True:
            body = self.request("GET", "/api/projects", params={"page": page, "page_size": 100})
            if isinstance(body, list):
                return body
            out.extend(body.get("results", []))
            if not body.get("next"):
                return out
            page += 1

    def find_project(self, project: str | int) -> dict | None:
        """The project with this id (int) or title (str), or ``None``."""
        if isinstance(project, int) or (isinstance(project, str) and project.isdigit()):
            try:
                return self.request("GET", f"/api/projects/{int(project)}")
            except LabelStudioProjectError:
                if isinstance(project, int):
                    return None
        hits = [p for p in self.projects() if p.get("title") == str(project)]
        if len(hits) > 1:
            raise LabelStudioProjectError(
                f"{len(hits)} projects are titled {str(project)!r} (ids "
                f"{', '.join(str(p['id']) for p in hits)}); pass the project id instead.")
        return hits[0] if hits else None

    def get_project(self, project: str | int) -> dict:
        """Like :meth:`find_project` but raises :class:`LabelStudioProjectError` when missing."""
        found = self.find_project(project)
        if found is None:
            titles = [p.get("title") for p in self.projects()]
            shown = (", ".join(repr(t) for t in titles[:10])
                     + (f" and {len(titles) - 10} more" if len(titles) > 10 else "")) or "none"
            raise LabelStudioProjectError(
                f"Label Studio at {self.url} has no project {project!r} (projects: {shown}); "
                f"push a queue first to create it, or check the name.")
        return found

    def validate_config(self, label_config: str) -> None:
        """Ask the server whether a label config is valid; raises :class:`LabelStudioProjectError`."""
        try:
            self.request("POST", "/api/projects/validate/", json_body={"label_config": label_config})
        except LabelStudioProjectError:
            raise
        except (LabelStudioConnectionError, LabelStudioAuthError):
            raise
        except LabelStudioError as exc:
            raise LabelStudioProjectError(f"the server rejected the label config: {exc}") from None

    def create_project(self, title: str, label_config: str, *, description: str = "") -> dict:
        """Create a project (the server validates ``label_config``)."""
        if len(title) < 3:
            raise InvalidSettingError(
                f"project title {title!r} is too short; Label Studio needs 3 characters or more.")
        try:
            return self.request("POST", "/api/projects", json_body={
                "title": title, "label_config": label_config, "description": description})
        except (LabelStudioConnectionError, LabelStudioAuthError):
            raise
        except LabelStudioError as exc:
            raise LabelStudioProjectError(f"cannot create project {title!r}: {exc}") from None

    def delete_project(self, project_id: int) -> None:
        self.request("DELETE", f"/api/projects/{int(project_id)}")

    # ------------------------------------------------------------------ tasks

    def import_tasks(self, project_id: int, tasks: Sequence[Mapping[str, Any]]) -> dict:
        """Import tasks (with predictions) in one request; returns the server's summary
        (with ``task_ids``, the tasks it made, where the server imports at once)."""
        return self.request("POST", f"/api/projects/{int(project_id)}/import",
                            params={"return_task_ids": "true"},
                            json_body=list(tasks), timeout=self.timeout * 10)

    def create_task(self, project_id: int, task: Mapping[str, Any]) -> dict:
        """Create one task (and its predictions) - the slow, one-request-per-task way."""
        body = {"project": int(project_id), "data": task["data"]}
        if task.get("meta"):
            body["meta"] = task["meta"]
        created = self.request("POST", "/api/tasks", json_body=body)
        for pred in task.get("predictions", []):
            self.request("POST", "/api/predictions",
                         json_body={"task": created["id"], **pred})
        return created

    def list_tasks(self, project_id: int, *, fields: Iterable[str] = ("id", "data"),
                   min_id: int | None = None, updated_after: str | None = None) -> list[dict]:
        """Every task of a project with only ``fields`` (fast).

        ``min_id`` keeps tasks with an id above it; ``updated_after`` (server time,
        ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) those changed since.
        """
        params: dict[str, Any] = {"project": int(project_id), "page_size": _PAGE_SIZE,
                                  "include": ",".join(fields)}
        filters = []
        if min_id is not None:
            filters.append({"filter": "filter:tasks:id", "operator": "greater",
                            "type": "Number", "value": int(min_id)})
        if updated_after is not None:
            filters.append({"filter": "filter:tasks:updated_at", "operator": "greater",
                            "type": "Datetime", "value": updated_after})
        if filters:
            params["query"] = json.dumps({"filters": {"conjunction": "and", "items": filters}})
        out: list[dict] = []
        page = 1
        while True:
            params["page"] = page
            try:
                body = self.request("GET", "/api/tasks", params=params, timeout=self.timeout * 10)
            except LabelStudioProjectError:
                if page > 1:  # past the last page
                    return out
                raise
            tasks = body.get("tasks", []) if isinstance(body, Mapping) else body
            out.extend(tasks)
            total = body.get("total") if isinstance(body, Mapping) else None
            # a server may serve fewer tasks per page than asked for (its own cap): the
            # total it reports says when the list is complete
            if not tasks or (len(out) >= total if total is not None
                             else len(tasks) < _PAGE_SIZE):
                return out
            page += 1

    def export_annotated(self, project_id: int, task_ids: Sequence[int] | None = None,
                         *, batch: int = 200) -> list[dict]:
        """Tasks that have at least one annotation (cancelled ones included), with them.

        All of the project's, or only those among ``task_ids`` (asked ``batch`` at a time).
        """
        path = f"/api/projects/{int(project_id)}/export"
        base = [("exportType", "JSON"), ("download_all_tasks", "false")]
        if task_ids is None:
            return self.request("GET", path, params=base, timeout=self.timeout * 10)
        ids = [int(t) for t in task_ids]
        out: list[dict] = []
        for s in range(0, len(ids), batch):
            part = ids[s:s + batch]
            out.extend(self.request("GET", path, params=base + [("ids[]", t) for t in part],
                                    timeout=self.timeout * 10))
        return out

    def delete_tasks(self, task_ids: Iterable[int]) -> None:
        for t in task_ids:
            self.request("DELETE", f"/api/tasks/{int(t)}")

    # ------------------------------------------------------------------ users and annotations

    def users(self, *, refresh: bool = False) -> dict[int, str]:
        """``{user id: e-mail (or username)}`` of the organisation's users (cached)."""
        if self._users is None or refresh:
            body = self.request("GET", "/api/users")
            rows = body.get("results", []) if isinstance(body, Mapping) else body
            self._users = {int(u["id"]): (u.get("email") or u.get("username") or str(u["id"]))
                           for u in rows}
        return self._users

    def create_user(self, email: str, *, first_name: str = "", last_name: str = "") -> int:
        """Create a user (e.g. an annotator) or return the id of the one with that e-mail."""
        for uid, mail in self.users(refresh=True).items():
            if mail == email:
                return uid
        body = self.request("POST", "/api/users/", json_body={
            "email": email, "username": email, "first_name": first_name,
            "last_name": last_name})
        self._users = None
        return int(body["id"])

    def create_annotation(self, task_id: int, result: list[dict], *,
                          completed_by: int | None = None, lead_time: float | None = None,
                          was_cancelled: bool = False) -> dict:
        """Post an annotation on a task, as the user ``completed_by`` (default: the key's user)."""
        body: dict[str, Any] = {"result": result, "was_cancelled": bool(was_cancelled)}
        if completed_by is not None:
            body["completed_by"] = int(completed_by)
        if lead_time is not None:
            body["lead_time"] = float(lead_time)
        return self.request("POST", f"/api/tasks/{int(task_id)}/annotations/", json_body=body)

    def update_annotation(self, annotation_id: int, result: list[dict], *,
                          lead_time: float | None = None) -> dict:
        """Change an annotation's result (what an annotator does when editing it in the UI)."""
        body: dict[str, Any] = {"result": result}
        if lead_time is not None:
            body["lead_time"] = float(lead_time)
        return self.request("PATCH", f"/api/annotations/{int(annotation_id)}", json_body=body)


def connect(url: str | None = None, api_key: str | None = None, *,
            timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> LabelStudioClient:
    """Open a :class:`LabelStudioClient` and (by default) check the server and the key.

    Raises
    ------
    LabelStudioConnectionError
        The server cannot be reached.
    LabelStudioAuthError
        The key is missing or refused.
    """
    client = LabelStudioClient(url, api_key, timeout=timeout)
    if check:
        try:
            client.check()
        except LabelStudioError:
            client.close()
            raise
    return client


@contextmanager
def client_session(client: LabelStudioClient | None, url: str | None, api_key: str | None,
                   *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[LabelStudioClient]:
    """A checked client: ``client`` itself (left open), or one connected to ``url`` and
    closed on exit.

    Raises
    ------
    LabelStudioConnectionError, LabelStudioAuthError
        The server cannot be reached or refuses the key.
    """
    if client is not None:
        client.check()
        yield client
        return
    opened = connect(url, api_key, timeout=timeout)
    try:
        yield opened
    finally:
        opened.close()
