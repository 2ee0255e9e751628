"""The organizer's import pages: upload a CSV or XLSX file, look at its dry run, import it.

    GET  /organizer/events/{id}/import                    the upload form
    POST /organizer/events/{id}/import                    upload (multipart, at most MAX_FILE_BYTES) → its page
    GET  /organizer/events/{id}/import/{import}           the dry run; while importing, the progress; then the result
    POST /organizer/events/{id}/import/{import}           import what the dry run showed
    GET  /organizer/events/{id}/import/{import}/progress  the progress as JSON (for static/js/import-progress.js)

The file waits in the store (``server.store.imports``) under a random id for a day, so the import
writes the very file its dry run read, and any node can show either. An import runs as a job on
the node that took the request (``ImportJobs``), in the store's thread, one transaction; its page
shows how far it got: without JavaScript the page has a link to look again, with JavaScript it
follows by itself. Only the event's own organizer reaches any of this; another organizer's event
or upload is 404.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from boards.errors import DomainError
from boards.imports import COLUMNS, ImportFileError, Problem
from server.i18n.catalogs import Translator
from server.i18n.keys import N_
from server.keys import LIVE, STORE
from server.store.import_files import MAX_FILE_BYTES, MAX_ROWS
from server.store.imports import ImportRecord, ImportStore
from server.web.http import accepts_upload, render, translator
from server.web.organizer import own_event

log = logging.getLogger("werkstatt.imports")

ROWS_PER_PAGE = 500
WAIT_S = 1.0  # how long the import's POST waits for a small import to finish before showing its progress

COLUMN_KEYS = {
    "field": N_("import.column.field"),
    "title": N_("import.column.title"),
    "text": N_("import.column.text"),
    "tags": N_("import.column.tags"),
    "author": N_("import.column.author"),
    "review_status": N_("import.column.review_status"),
    "feedback": N_("import.column.feedback"),
    "id": N_("import.column.id"),
}
PROBLEM_KEYS = {
    "missing_text": N_("import.problem.missing_text"),
    "missing_field": N_("import.problem.missing_field"),
    "unknown_field": N_("import.problem.unknown_field"),
    "unknown_status": N_("import.problem.unknown_status"),
    "text_too_short": N_("import.problem.text_too_short"),
    "text_too_long": N_("import.problem.text_too_long", count=...),
    "control_characters": N_("import.problem.control_characters"),
    "too_many_tags": N_("import.problem.too_many_tags", count=...),
    "formula": N_("import.problem.formula"),
    "duplicate_id": N_("import.problem.duplicate_id"),
}
FILE_ERROR_KEYS = {
    "too_large": N_("import.file.too_large", count=...),
    "empty": N_("import.file.empty"),
    "old_excel": N_("import.file.old_excel"),
    "not_xlsx": N_("import.file.not_xlsx"),
    "bad_xlsx": N_("import.file.bad_xlsx"),
    "encrypted": N_("import.file.encrypted"),
    "zip_bomb": N_("import.file.zip_bomb"),
    "not_utf8": N_("import.file.not_utf8"),
    "bad_csv": N_("import.file.bad_csv"),
    "bad_separator": N_("import.file.bad_separator"),
    "wrong_separator": N_("import.file.wrong_separator"),
    "missing_columns": N_("import.file.missing_columns"),
    "ambiguous_columns": N_("import.file.ambiguous_columns"),
    "too_many_rows": N_("import.file.too_many_rows", count=...),
    "too_many_empty_rows": N_("import.file.too_many_empty_rows", count=...),
    "no_file": N_("import.file.no_file"),
}
CONFLICT_KEYS = {
    "import_changed": N_("import.conflict.changed"),
    "import_has_errors": N_("import.conflict.has_errors"),
    "import_empty": N_("import.conflict.empty"),
}
SEPARATOR_KEYS = {
    "auto": N_("import.separator.auto"),
    ";": N_("import.separator.semicolon"),
    ",": N_("import.separator.comma"),
    "\t": N_("import.separator.tab"),
}
COUNTED = ("max", "max_mb")  # the number a plural message's form follows: its {count}
SEPARATOR_VALUES = {"auto": None, ";": ";", ",": ",", "tab": "\t"}


# -- jobs ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Job:
    """An import under way on this node; ``done`` and ``total`` are written from the store's thread."""

    task: asyncio.Task[ImportRecord | None]
    done: int = 0
    total: int = 0


class ImportJobs:
    """The imports this node runs. A finished job leaves: its result is in the store, and why it
    failed waits in ``failed`` for the page that tells the organizer."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.failed: dict[str, Exception] = {}

    def running(self, import_id: str) -> Job | None:
        job = self.jobs.get(import_id)
        return job if job is not None and not job.task.done() else None

    def start(self, app: web.Application, organizer_id: str, event_id: str, import_id: str, **kw: Any) -> Job:
        job = self.running(import_id)
        if job is not None:
            return job
        self.failed.pop(import_id, None)

        def progress(done: int, total: int) -> None:
            holder.done, holder.total = done, total

        async def run() -> ImportRecord | None:
            try:
                record = await ImportStore(app[STORE]).write(organizer_id, event_id, import_id, progress=progress, **kw)
            except Exception as exc:
                if not isinstance(exc, DomainError):
                    log.error("import %s failed", import_id, exc_info=exc)
                if len(self.failed) > 1000:  # nobody came back for them
                    self.failed.clear()
                self.failed[import_id] = exc
                return None
            finally:
                self.jobs.pop(import_id, None)
            app[LIVE].forget_event(event_id)  # the plenary's boards: one more
            return record

        holder = Job(task=asyncio.get_running_loop().create_task(run()))
        self.jobs[import_id] = holder
        return holder

    async def close(self, _app: web.Application) -> None:
        """At shutdown: let the imports under way finish (each is one transaction in the store's thread)."""
        tasks = [job.task for job in self.jobs.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


IMPORT_JOBS = web.AppKey("import_jobs", ImportJobs)


# -- messages --------------------------------------------------------------------------------------


def _values(tr: Translator, params: Mapping[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(tr(COLUMN_KEYS[v]) if key == "missing" and v in COLUMN_KEYS else str(v) for v in value)
        elif key == "column" and isinstance(value, str) and value in COLUMN_KEYS:
            value = tr(COLUMN_KEYS[value])
        elif key in ("chosen", "found") and isinstance(value, str) and value in SEPARATOR_KEYS:
            value = tr(SEPARATOR_KEYS[value])
        out["count" if key in COUNTED else key] = value
    return out


def problem_text(tr: Translator, problem: Problem) -> str:
    key = PROBLEM_KEYS.get(problem.code)
    if key is None:
        return problem.message
    column = tr(COLUMN_KEYS[problem.column]) if problem.column in COLUMN_KEYS else ""
    return tr(key, **_values(tr, {**problem.params, "column": column}))


def file_error_text(tr: Translator, exc: ImportFileError) -> str:
    key = FILE_ERROR_KEYS.get(exc.code)
    return tr(key, **_values(tr, exc.params)) if key else exc.message


# -- pages -----------------------------------------------------------------------------------------


def _base(event_id: str) -> str:
    return f"/organizer/events/{event_id}/import"


async def upload_page(request: web.Request) -> web.Response:
    _organizer, event = await own_event(request)
    return _upload_form(request, event, error=None)


def _upload_form(request: web.Request, event: Any, *, error: str | None, status: int = 200) -> web.Response:
    return render(
        request,
        "import.html",
        {
            "event": event,
            "error": error,
            "columns": [(name, COLUMN_KEYS[name], aliases) for name, aliases in COLUMNS.items()],
            "separators": [(value, SEPARATOR_KEYS[value if value != "tab" else "\t"]) for value in SEPARATOR_VALUES],
            "max_mb": MAX_FILE_BYTES // (1024 * 1024),
            "max_rows": MAX_ROWS,
        },
        status=status,
    )


@accepts_upload(MAX_FILE_BYTES)
async def upload(request: web.Request) -> web.StreamResponse:
    organizer, event = await own_event(request)
    form = await request.post()
    tr = translator(request)
    file = form.get("file")
    if not isinstance(file, web.FileField) or not file.filename:
        return _upload_form(request, event, error=tr(FILE_ERROR_KEYS["no_file"]), status=400)
    data = file.file.read(MAX_FILE_BYTES + 1)
    name = file.filename.replace("\\", "/").rsplit("/", 1)[-1]
    separator = SEPARATOR_VALUES.get(str(form.get("separator", "auto")))
    try:
        import_id = await ImportStore(request.app[STORE]).upload(organizer.id, event.id, name, data, separator)
    except ImportFileError as exc:
        return _upload_form(request, event, error=file_error_text(tr, exc), status=400)
    raise web.HTTPSeeOther(f"{_base(event.id)}/{import_id}")


async def import_page(request: web.Request) -> web.Response:
    organizer, event = await own_event(request)
    import_id = request.match_info["import_id"]
    jobs = request.app[IMPORT_JOBS]
    store = ImportStore(request.app[STORE])
    try:
        record = await store.record(organizer.id, event.id, import_id)  # the organizer's own, or 404
        job = jobs.running(import_id)
        if job is not None:
            return _progress_page(request, event, record, job)
        failed = jobs.failed.pop(import_id, None)
        if record.imported:
            return render(request, "import_done.html", {"event": event, "record": record})
        error = None if failed is None else _failure_text(request, failed)
        return await _report_page(request, event, import_id, error=error, status=200 if error is None else 409)
    except DomainError:
        return _upload_form(request, event, error=translator(request)("import.expired"), status=404)


def _failure_text(request: web.Request, exc: Exception) -> str:
    tr = translator(request)
    key = CONFLICT_KEYS.get(exc.code) if isinstance(exc, DomainError) else None
    return tr(key) if key is not None else tr("import.failed")


async def _report_page(
    request: web.Request, event: Any, import_id: str, *, error: str | None = None, status: int = 200
) -> web.Response:
    organizer_id = event.organizer_id
    report = await ImportStore(request.app[STORE]).dry_run(organizer_id, event.id, import_id)
    tr = translator(request)
    only_errors = request.query.get("show") == "errors"
    shown = report.errors if only_errors else report.rows
    pages = max(1, -(-len(shown) // ROWS_PER_PAGE))
    try:
        page = min(max(1, int(request.query.get("page", "1"))), pages)
    except ValueError:
        page = 1
    rows = shown[(page - 1) * ROWS_PER_PAGE : page * ROWS_PER_PAGE]
    return render(
        request,
        "import_report.html",
        {
            "event": event,
            "report": report,
            "error": error,
            "rows": [(row, [problem_text(tr, p) for p in row.problems]) for row in rows],
            "only_errors": only_errors,
            "page": page,
            "pages": pages,
            "separator_name": tr(SEPARATOR_KEYS[report.separator]) if report.separator in SEPARATOR_KEYS else None,
            "column_keys": COLUMN_KEYS,
        },
        status=status,
    )


def _progress_page(request: web.Request, event: Any, record: ImportRecord, job: Job) -> web.Response:
    return render(
        request,
        "import_progress.html",
        {"event": event, "record": record, "done": job.done, "total": job.total, "text": _progress_text(request, job)},
    )


def _progress_text(request: web.Request, job: Job) -> str:
    tr = translator(request)
    if not job.total:
        return tr("import.progress.preparing")
    return tr("import.progress.written", count=job.total, done=job.done)


async def start_import(request: web.Request) -> web.StreamResponse:
    organizer, event = await own_event(request)
    import_id = request.match_info["import_id"]
    form = await request.post()
    store = ImportStore(request.app[STORE])
    try:
        await store.record(organizer.id, event.id, import_id)  # the organizer's own, or 404
    except DomainError:
        raise web.HTTPNotFound() from None
    job = request.app[IMPORT_JOBS].start(
        request.app,
        organizer.id,
        event.id,
        import_id,
        digest=str(form.get("digest", ""))[:64],
        valid_only=form.get("valid_only") == "yes",
    )
    await asyncio.wait({job.task}, timeout=WAIT_S)  # a small import is done by then: straight to its result
    raise web.HTTPSeeOther(f"{_base(event.id)}/{import_id}")


async def progress(request: web.Request) -> web.Response:
    organizer, event = await own_event(request)
    import_id = request.match_info["import_id"]
    try:
        record = await ImportStore(request.app[STORE]).record(organizer.id, event.id, import_id)
    except DomainError:
        raise web.HTTPNotFound() from None
    job = request.app[IMPORT_JOBS].running(import_id)
    if job is None:
        return web.json_response({"state": "done" if record.imported else "waiting"})
    return web.json_response(
        {"state": "running", "done": job.done, "total": job.total, "text": _progress_text(request, job)}
    )


def setup(app: web.Application) -> None:
    """The import pages and the jobs they start, on ``app``."""
    app[IMPORT_JOBS] = jobs = ImportJobs()
    app.on_shutdown.append(jobs.close)
    base = "/organizer/events/{event_id}/import"
    app.router.add_routes(
        [
            web.get(base, upload_page),
            web.post(base, upload),
            web.get(base + "/{import_id}", import_page),
            web.post(base + "/{import_id}", start_import),
            web.get(base + "/{import_id}/progress", progress),
        ]
    )
