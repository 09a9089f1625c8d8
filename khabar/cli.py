"""The ``khabar`` command: thin commands over the library.

Commands are verbs: ``restore`` (a Unix filter), ``analyze``. Errors are printed as one line with
a remedy and exit with status 1 (bad input) or 2 (usage).
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import click

from khabar import __version__
from khabar.archive import Archive
from khabar.decoding import decode, detect
from khabar.errors import DecodeError, KhabarError

# Input above this size is restored piece by piece (at line breaks), so memory stays bounded.
STREAM_BYTES = 8 * 1024 * 1024
# A line longer than this many characters is cut at a sentence end (or a space) to be restored.
STREAM_CUT = 1 << 20
# `analyze` keeps every span of an article in memory; above this it asks for `restore` instead.
MAX_ANALYZE_BYTES = 16 * 1024 * 1024


class KhabarGroup(click.Group):
    """Turns errors into one-line messages with a remedy instead of tracebacks.

    khabar's own errors say what is wrong; an OS error (a full disk, a device that cannot be read)
    names the file and the reason; anything else is a bug, reported on one line with how to see
    the traceback (``KHABAR_DEBUG=1``).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full disk shows here, not as an "Exception ignored" at exit
            return result
        except KhabarError as err:
            raise click.ClickException(visible(str(err))) from None
        except BrokenPipeError:
            _silence_stdout()
            sys.exit(0)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO):
                _silence_stdout()
            where = f"{err.filename}: " if err.filename else ""
            raise click.ClickException(visible(f"{where}{err.strerror or err}")) from None
        except Exception as err:
            if os.environ.get("KHABAR_DEBUG"):
                raise
            message = " ".join(str(err).split())[:300]
            raise click.ClickException(visible(
                f"internal error ({type(err).__name__}: {message}); please report it "
                "(KHABAR_DEBUG=1 shows the traceback)")) from None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush of what could not be
    written does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def visible(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences) shown as their pictures (␛)."""
    from khabar.render import visible_controls

    return visible_controls(text)


@click.group(cls=KhabarGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="khabar")
def main() -> None:
    """khabar: restored, structured and searchable Persian news."""


def write_json(doc: Any, out: IO[str]) -> None:
    """``json.dumps(doc.to_dict())`` and a line break, written piece by piece: the dict of a large
    article (a dict per token) is never held whole, nor its JSON text."""
    out.write("{")
    for n, (key, value) in enumerate(doc.iter_dict()):
        out.write((", " if n else "") + json.dumps(key) + ": ")
        if isinstance(value, Iterator):
            out.write("[")
            batch: list[str] = []
            first = True
            for item in value:
                batch.append(json.dumps(item, ensure_ascii=False))
                if len(batch) >= 512:
                    out.write(("" if first else ", ") + ", ".join(batch))
                    batch, first = [], False
            if batch:
                out.write(("" if first else ", ") + ", ".join(batch))
            out.write("]")
        else:
            out.write(json.dumps(value, ensure_ascii=False))
    out.write("}\n")


def _open_binary(path: str) -> tuple[str, BinaryIO]:
    """``(name, binary stream)`` of a path, or of standard input for ``-``."""
    if path == "-":
        return "<stdin>", sys.stdin.buffer
    if Path(path).is_dir():
        raise click.ClickException(f"{path}: is a directory (give the files in it, e.g. {path}/*.txt)")
    try:
        return path, open(path, "rb")
    except OSError as err:
        raise click.ClickException(visible(f"{path}: {err.strerror or err}")) from None


def read_input(path: str, limit: int | None = None) -> tuple[str, str]:
    """``(name, text)`` of a file path, or of standard input for ``-``, reading at most ``limit`` bytes
    (``MAX_ANALYZE_BYTES``): a device or pipe that never ends (/dev/zero) is refused, not read whole."""
    limit = MAX_ANALYZE_BYTES if limit is None else limit
    name, stream = _open_binary(path)
    try:
        head = stream.read(1 << 16)
        if head:
            detect(head, partial=True)  # binary input (/dev/urandom) fails here, not after 16 MB
        rest = stream.read(limit + 1 - len(head)) if len(head) == 1 << 16 else b""
    except OSError as err:
        raise click.ClickException(visible(f"{name}: cannot read ({err.strerror or err})")) from None
    except DecodeError as err:
        raise click.ClickException(visible(str(err).replace("<bytes>", name))) from None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    data = head + rest
    if len(data) > limit:
        raise click.ClickException(
            f"{name}: over the {limit:,}-byte limit for one article"
            " (split it, or use `khabar restore`, which streams)")
    return name, decode(data, name)


def _decoded_pieces(stream: BinaryIO, name: str, head: bytes) -> Iterator[str]:
    """Decoded text of a long stream in pieces that end at line breaks; a line of over ``STREAM_CUT``
    characters is cut after a sentence end, else at a space (restoration does not reach across
    either), else anywhere."""
    import codecs

    try:
        encoding = detect(head[:1 << 16], partial=True)
    except DecodeError as err:
        raise click.ClickException(visible(str(err).replace("<bytes>", name))) from None
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    data = head
    pending = ""
    offset = 0
    while data:
        try:
            pending += decoder.decode(data)
        except UnicodeDecodeError as err:
            raise click.ClickException(
                f"{name}: invalid {encoding} at byte offset {offset + err.start}"
                " (convert the file to UTF-8, e.g. with iconv)") from None
        offset += len(data)
        if offset == len(data):
            pending = pending.lstrip("\ufeff")
        while pending:
            window = pending[:STREAM_CUT]
            cut = window.rfind("\n") + 1
            if not cut and len(pending) > STREAM_CUT:
                cut = _cut_point(window)
            if not cut:
                break
            _reject_controls(pending[:cut], name, offset)
            yield pending[:cut]
            pending = pending[cut:]
        data = stream.read(1 << 20)
    pending += decoder.decode(b"", final=True)
    if pending:
        _reject_controls(pending, name, offset)
        yield pending


_SENTENCE_END = re.compile(r"[.!?؟…»][^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _cut_point(text: str) -> int:
    """Where to cut a long line: after its last sentence end, else after its last space, else at the end."""
    window = text[len(text) // 2:]
    base = len(text) - len(window)
    ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if ends:
        return base + ends[-1]
    space = max(window.rfind(" "), window.rfind("\t"))
    return base + space + 1 if space >= 0 else len(text)


def _reject_controls(text: str, name: str, offset: int) -> None:
    m = _CONTROL.search(text)
    if m:
        raise click.ClickException(f"{name}: binary data (control character near byte offset {offset:,}); "
                                   "khabar reads text, HTML and feeds")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def restore(files: tuple[str, ...]) -> None:
    """Restore Persian text: letters, digits, spacing and ZWNJs.

    With no FILE (or -) it reads standard input and writes standard output. Input of any size
    is restored as a stream, in bounded memory.
    """
    from khabar import restore as restore_text

    out = sys.stdout
    for path in files or ("-",):
        name, stream = _open_binary(path)
        try:
            head = stream.read(STREAM_BYTES + 1)
            if len(head) <= STREAM_BYTES:
                text = decode(head, name)
                restored = restore_text(text)
                out.write(restored)
                if restored and not restored.endswith("\n") and text.endswith("\n"):
                    out.write("\n")
                continue
            for chunk in _decoded_pieces(stream, name, head):
                body = chunk.rstrip("\n")
                if body == chunk:  # a long line cut after a sentence end or a space: keep the space
                    body = chunk.rstrip()
                    out.write(restore_text(body) + (" " if body != chunk else ""))
                else:
                    out.write(restore_text(body) + chunk[len(body):])
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG) or isinstance(err, BrokenPipeError):
                raise
            raise click.ClickException(visible(f"{name}: cannot read ({err.strerror or err})")) from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    out.flush()


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print Document.to_dict() as JSON (one object per line for several files).")
@click.option("--published", help="Publication date, to resolve relative dates such as امروز: 2025-08-09, or Jalali "
                                   "1404-05-18 (read as `search --since` reads it).")
@click.option("--url", help="The article's URL.")
def analyze(files: tuple[str, ...], as_json: bool, published: str | None, url: str | None) -> None:
    """Analyze articles: restored text with changes marked, sentences, and every stage's results."""
    from khabar import analyze as analyze_text
    from khabar.render import render_document

    for path in files or ("-",):
        name, text = read_input(path)
        doc = analyze_text(text, published=published, url=url)
        if as_json:
            write_json(doc, sys.stdout)
        else:
            if len(files) > 1:
                click.secho(visible(f"== {name}"), bold=True)
            render_document(doc)


# -- the archive: ingest, search, show, person, export, stories, reanalyze, copy -------------------

COUNT_CAP = 10_000  # `khabar search` counts matches up to this


def _db_option(fn: Any) -> Any:
    return click.option("--db", "db", metavar="URL", default=None, envvar="KHABAR_DB", show_envvar=True,
                        help="The archive: a file path (default ./khabar.db), sqlite:///PATH, :memory: or "
                             "postgresql://USER@HOST/DB.")(fn)


def _open_archive(db: str | None, *, must_exist: bool = True, writes: bool = False) -> Archive:
    # A command that writes for a long while (ingest, reanalyze, watch) waits for SQLite's write lock as
    # its workers do: two ingests of one archive take turns with it for longer than SQLite's 5 s.
    return Archive.open(db, must_exist=must_exist, writer=writes)


def _title(title: str | None, lead: str | None) -> str:
    """An article's title, or for an untitled one (a plain text file) the start of its text."""
    if title:
        return title
    text = " ".join(str(lead or "").split())
    return (text[:60].rsplit(" ", 1)[0] + " …") if len(text) > 60 else (text or "(untitled)")


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))


@main.command()
@click.argument("sources", nargs=-1, required=True)
@_db_option
@click.option("--restore-only", is_flag=True,
              help="Only restore and segment (fast); fill in entities, quotes, … later with `khabar reanalyze`.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, help="Worker processes (default: all cores).")
@click.option("--field", "fields", multiple=True, metavar="FIELD=COLUMN",
              help="JSONL/CSV field mapping, e.g. --field text=body --field published=date.")
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="JSONL file for the failures (default: beside the archive file, when there are any).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the work runs: worker processes here, or a Ray cluster (pip install 'khabar[scale]').")
@click.option("--address", metavar="auto|ray://HOST:PORT", default=None,
              help="The Ray cluster to join (default: start one on this machine).")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="With --engine ray: write Parquet shards (by month) to this folder instead of an archive; "
                   "load them with `khabar load`.")
def ingest(sources: tuple[str, ...], db: str | None, restore_only: bool, jobs: int | None, fields: tuple[str, ...],
           report: str | None, as_json: bool, engine: str, address: str | None, output: str | None) -> None:
    """Add articles to the archive from files, folders, HTML pages, feeds, JSONL/CSV, URLs or - (stdin).

    The same URL or the same text (in any spelling variant) is stored once. An interrupted run
    (Ctrl-C, kill -9) leaves whole articles only: run the same command again to finish it. With
    --engine ray the work runs on a Ray cluster, each worker writing its own batches.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from khabar.ingest import FieldMap

    if any(not s.strip() for s in sources):
        raise click.UsageError("an empty SOURCE ('') is not a folder: give a file, folder, URL or - (. for this folder)")
    try:
        field_map = FieldMap.parse(list(fields)) if fields else None
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    if address and engine != "ray":
        raise click.UsageError("--address is for --engine ray")
    if output:
        _ingest_shards(sources, output, restore_only=restore_only, jobs=jobs, fields=field_map, report=report,
                       as_json=as_json, engine=engine, address=address)
        return
    options: dict[str, Any] = {"engine": engine, "address": address} if engine == "ray" else {}
    archive = _open_archive(db, must_exist=False, writes=True)
    report_path = report
    local = archive.local_path
    if report_path is None and local is not None:
        report_path = str(Path(local).with_suffix("")) + ".report.jsonl"
    if report_path:
        try:  # never over the archive, its journals or an input
            archive.guard_output(report_path, inputs=sources if report else ())
        except KhabarError:
            archive.close()
            raise
    err_console = __import__("rich.console", fromlist=["Console"]).Console(stderr=True, highlight=False)
    with archive, Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                           console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("reading…", total=None)

        def show(s: Any) -> None:
            bar.update(task, description=f"{s.added} added · {s.duplicates} duplicates · {s.failed} failed · "
                                         f"{s.rate:.0f} articles/s")

        # The default report is written only when there are failures, and never deleted: by the
        # end, another run's report may stand there.
        summary = archive.ingest(sources, restore_only=restore_only, jobs=jobs, fields=field_map,
                                 report=report_path, progress=show, report_if_empty=bool(report),
                                 **options)
    _print_summary(summary, archive.address, as_json)


def _ingest_shards(sources: tuple[str, ...], output: str, *, as_json: bool, report: str | None,
                   **options: Any) -> None:
    from khabar.archive import write_shards

    report_path = report or str(Path(output).with_name(Path(output).name + ".report.jsonl"))
    summary = write_shards(sources, output, report=report_path, report_if_empty=bool(report), **options)
    _print_summary(summary, f"{output} (load it with `khabar load {output} --db URL`)", as_json)


def _print_summary(summary: Any, where: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        out = sys.stderr
        already = f" ({summary.already} already in the archive)" if summary.already else ""
        click.echo(visible(f"{summary.added} added, {summary.duplicates} duplicates{already}, {summary.failed} failed "
                           f"in {summary.seconds:.1f}s ({summary.rate:.0f} articles/s) → {where}"), file=out)
        for failure in summary.failures[:20]:
            click.echo(visible(f"  failed: {failure.origin}: {failure.reason}"), file=out)
        if summary.failed > 20:
            click.echo(f"  … and {summary.failed - 20} more", file=out)
        if summary.failed and summary.report:
            click.echo(visible(f"  every failure and its reason: {summary.report}"), file=out)
    if summary.interrupted:
        click.echo("interrupted: run the same command again to finish (nothing is stored twice)", err=True)
        sys.exit(130)


@main.command()
@click.argument("query", required=False, default="")
@_db_option
@click.option("--person", multiple=True, help="Only articles that mention this person (a name, or an entity id).")
@click.option("--org", multiple=True, help="Only articles that mention this organization.")
@click.option("--place", multiple=True, help="Only articles that mention this place.")
@click.option("--source", multiple=True, help="Only articles from this outlet.")
@click.option("--since", metavar="DATE", help="Published on or after: 1404-05-18, «۱۸ مرداد ۱۴۰۴», 2025-08-09, 1404-05.")
@click.option("--until", metavar="DATE", help="Published on or before (same forms as --since).")
@click.option("--has-quotes", is_flag=True, help="Only articles with statements.")
@click.option("--story", type=int, default=None, help="Only articles of this story.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--order", "--sort", "order", type=click.Choice(["newest", "oldest", "relevance"]), default="newest",
              show_default=True, help="relevance: BM25 among the newest matches, then the rest newest first.")
@click.option("--cursor", default=None, help="Continue after a page: the next_cursor a --json search printed.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the page as JSON: query, total, results (snippet with highlights), facets, next_cursor.")
def search(query: str, db: str | None, person: tuple[str, ...], org: tuple[str, ...], place: tuple[str, ...],
           source: tuple[str, ...], since: str | None, until: str | None, has_quotes: bool, story: int | None,
           limit: int, order: str, cursor: str | None, as_json: bool) -> None:
    """Search the archive: words, "phrases", prefix*, AND / OR / NOT, (parentheses), and facets.

    Spelling variants meet: «می کند», «میکند», «می‌کند» and «ميكند» find the same articles.
    """
    from rich.text import Text

    from khabar.render import escape

    with _open_archive(db) as archive:
        found = archive.search(query, person=person, org=org, place=place, source=source, since=since, until=until,
                               has_quotes=has_quotes, story=story, limit=limit, sort=order, cursor=cursor,
                               count=True, count_cap=COUNT_CAP, facets=True)
    if as_json:
        _echo_json(found.to_dict())
        return
    console = _console()
    for note in found.notes:
        console.print(f"[yellow]{escape(note)}[/]")
    total = found.total.value if found.total else 0
    more = "+" if found.total and found.total.relation == "gte" else ""  # counting stops at the cap
    console.print(f"[dim]{total:,}{more} article{'s' if total != 1 else ''}"
                  f"{f', showing {len(found.results)}' if total > len(found.results) else ''}[/]")
    for r in found.results:
        console.print(f"[bold cyan]{r.id:>5}[/] [bold]{escape(_title(r.title, r.snippet.text.strip('…')))}[/]"
                      f"  [dim]{escape(r.source or '')} {escape((r.published or '')[:10])}[/]")
        snippet = Text("      " + visible(r.snippet.text))
        for s, e in r.snippet.highlights:
            snippet.stylize("bold yellow", s + 6, e + 6)
        console.print(snippet)
    facets = {k: v for k, v in found.facets.items() if v}
    if facets:
        console.rule("[dim]in these articles[/]")
        for name, values in facets.items():
            console.print(f"[dim]{name}:[/] " + "، ".join(f"{escape(v.label)} ({v.count})" for v in values))
    if found.next_cursor:
        console.print(f"[dim]more: --cursor {found.next_cursor}[/]")


@main.command()
@click.argument("article_id", type=str)
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print Document.to_dict() with the article's metadata.")
def show(article_id: str, db: str | None, as_json: bool) -> None:
    """Show one stored article: metadata, restored text, sentences and what the pipeline found."""
    from khabar.render import escape, render_document

    if not article_id.isdigit() or len(article_id) > 18:
        raise click.ClickException(f"{article_id!r} is not an article id (ids are whole numbers, e.g. 12)")
    with _open_archive(db) as archive:
        article = archive.article(int(article_id))
    if as_json:
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False))
        return
    console = _console()
    meta = article.metadata()
    console.print(f"[bold]{escape(meta['title'] or '(untitled)')}[/]")
    for key in ("source", "published", "author", "url", "origin", "story", "analysis"):
        if meta.get(key) is not None:
            console.print(f"[dim]{key:>9}:[/] {escape(str(meta[key]))}")
    render_document(article.document, console)


@main.command()
@click.argument("name")
@_db_option
@click.option("--about", metavar="TERM", help="Only statements that mention TERM.")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
def person(name: str, db: str | None, about: str | None, limit: int, as_json: bool) -> None:
    """What the archive knows about a person: titles, articles, statements, meetings, who appears with them."""
    with _open_archive(db) as archive:
        profile = archive.person(name, about=about, limit=limit)
    if as_json:
        _echo_json(profile.to_dict())
        return
    _print_profile(profile, about)


def _print_profile(profile: Any, about: str | None = None) -> None:
    from khabar.render import escape

    console = _console()
    console.print(f"[bold]{escape(profile.name)}[/] [dim]({profile.label}, in {profile.article_count} "
                  f"article{'s' if profile.article_count != 1 else ''}; {escape(' '.join(profile.ids))})[/]")
    together = [m.name for m in profile.matches if m.chosen and m.name != profile.name]
    others = [m.name for m in profile.matches if not m.chosen]
    if profile.forms:
        console.rule("written as")
        for f in profile.forms:
            console.print(f"  {escape(f.text)} [dim]{f.articles} article{'s' if f.articles != 1 else ''}, "
                          f"{escape(_days(f.first, f.last))}[/]")
    elif profile.aliases:
        console.print(f"[dim]also written:[/] {escape('، '.join(profile.aliases))}")
    if together:
        console.print(f"[dim]taken together with:[/] {escape('، '.join(together))}")
    if others:
        shown = "، ".join(others[:12]) + (f" … ({len(others)} in all)" if len(others) > 12 else "")
        console.print(f"[dim]other people with this name (ask for one by full name):[/] {escape(shown)}")
    if profile.title_history:
        console.rule("titles")
        for t in profile.title_history:
            console.print(f"  {escape(t.text)} [dim]{t.articles} article{'s' if t.articles != 1 else ''}, "
                          f"{escape(_days(t.first, t.last))}[/]")
    elif profile.titles:
        console.rule("titles")
        for title in profile.titles:
            console.print(f"  {escape(title)}")
    console.rule("articles")
    for a in profile.articles:
        console.print(f"  [cyan]{a.id:>5}[/] {escape(_title(a.title, a.lead))} "
                      f"[dim]{escape(a.source or '')} {escape((a.published or '')[:10])}[/]")
    if profile.statements:
        console.rule("statements" + (f" about {escape(about)}" if about else ""))
        for s in profile.statements:
            console.print(f"  [cyan]{s.article:>5}[/] {escape(s.cue or '')}: «{escape(s.content)}»")
    if profile.meetings:
        console.rule("meetings")
        for m in profile.meetings:
            where = f" — {escape(m.place)}" if m.place else ""
            console.print(f"  [cyan]{m.article:>5}[/] with {escape(m.with_ or '—')}{where} "
                          f"[dim]{escape((m.date or '')[:10])}[/]")
    if profile.co_mentioned:
        console.rule("mentioned with")
        console.print("  " + "، ".join(f"{escape(c.name)} ({c.articles})" for c in profile.co_mentioned))
    if profile.history:
        console.rule("merges and splits")
        for h in profile.history:
            undone = " [dim](undone)[/]" if h.undone else ""
            console.print(f"  [cyan]{h.id:>5}[/] {h.action} {escape(h.identity)} ← {escape(h.other or '')}: "
                          f"{escape(h.reason or '')} [dim]{escape(h.at[:16])}[/]{undone}")


def _days(first: str | None, last: str | None) -> str:
    if not first:
        return "undated"
    return first if first == last or not last else f"{first} – {last}"


@main.group()
def entity() -> None:
    """One identity across the archive: show it, merge two that are one, split one that is two."""


@entity.command(name="show")
@click.argument("entity_id")
@_db_option
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
def entity_show(entity_id: str, db: str | None, limit: int, as_json: bool) -> None:
    """Everything the archive knows of one identity (by its id, as profiles and --json give it)."""
    with _open_archive(db) as archive:
        profile = archive.entity(entity_id, limit=limit)
    if as_json:
        _echo_json(profile.to_dict())
        return
    _print_profile(profile)


@entity.command(name="merge")
@click.argument("keep")
@click.argument("other")
@_db_option
@click.option("--reason", required=True, help="Why the two are one person (kept with the merge).")
def entity_merge(keep: str, other: str, db: str | None, reason: str) -> None:
    """Make identity OTHER part of KEEP (its articles, statements, meetings, names and titles)."""
    with _open_archive(db) as archive:
        log_id = archive.merge(keep, other, reason=reason)
    click.echo(f"merged {other} into {keep} (merge {log_id}; undo it with `khabar entity split {keep} --undo {log_id}`)")


@entity.command(name="split")
@click.argument("entity_id")
@_db_option
@click.option("--undo", "undo", type=int, default=None, metavar="MERGE", help="Undo this merge (its id in the history).")
@click.option("--articles", default=None, metavar="IDS", help="Give these articles' mentions to a new identity: 3,5,8.")
@click.option("--name", default=None, help="The new identity's name (default: the same name).")
@click.option("--reason", default="", help="Why (kept with the split).")
def entity_split(entity_id: str, db: str | None, undo: int | None, articles: str | None, name: str | None,
                 reason: str) -> None:
    """Split an identity that is two people: undo a merge, or move some articles to a new identity."""
    ids: list[int] = []
    if articles:
        try:
            ids = [int(x) for x in articles.replace(" ", "").split(",") if x]
        except ValueError:
            raise click.BadParameter(f"{articles!r}: article ids are whole numbers, separated by commas",
                                     param_hint="--articles") from None
    with _open_archive(db) as archive:
        new_id = archive.split(entity_id, articles=ids, undo=undo, name=name, reason=reason)
    click.echo(f"split {new_id} off {entity_id}")


@main.command(name="export")
@_db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Output file (default: standard output); replaced only once the export is whole.")
@click.option("--salvage", is_flag=True, help="From a damaged archive: every article that can still be read.")
def export_(db: str | None, fmt: str, output: str | None, salvage: bool) -> None:
    """Export every article: JSONL (Document.to_dict() plus metadata per line), CSV or Parquet."""
    with _open_archive(db) as archive:
        n = archive.export(output, format=fmt, salvage=salvage)
    if output and output != "-":
        click.echo(visible(f"{n} articles → {output}"), err=True)


@main.command()
@_db_option
@click.option("--quick", is_flag=True, help="Skip reading every article back (damage inside a text goes unseen).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(db: str | None, quick: bool, as_json: bool) -> None:
    """Check the archive: damaged pages, the full-text index against the articles, rows that point at
    nothing, and what can be salvaged. Exits with status 1 when something is wrong."""
    try:
        archive = _open_archive(db)
    except KhabarError as err:
        if as_json:
            _echo_json({"ok": False, "problems": [str(err)], "salvage": "the archive cannot be opened: restore the "
                        "last `khabar backup`, or ingest the sources again into a new archive"})
            sys.exit(1)
        raise
    with archive:
        report = archive.verify(deep=not quick)
    if as_json:
        _echo_json(report.to_dict())
    else:
        out = sys.stdout
        counts = f"{report.articles if report.articles is not None else '?'} articles, " \
                 f"{report.indexed if report.indexed is not None else '?'} in the full-text index"
        if report.ok:
            click.echo(visible(f"ok: {archive.address}: {counts}"), file=out)
        else:
            click.echo(visible(f"damaged: {archive.address}: {counts}"), file=out)
            for problem in report.problems:
                click.echo(visible(f"  - {problem}"), file=out)
            click.echo(visible(f"  salvage: {report.salvage}"), file=out)
    if not report.ok:
        sys.exit(1)


@main.command()
@_db_option
@click.argument("target", type=click.Path(dir_okay=False))
def backup(db: str | None, target: str) -> None:
    """Write a consistent copy of the archive to TARGET while it stays in use (ingests may go on);
    TARGET is replaced only once the copy is whole and checked."""
    with _open_archive(db) as archive:
        n = archive.backup(target)
    click.echo(visible(f"{n} articles → {target}"), err=True)


@main.command()
@_db_option
@click.option("--rebuild", is_flag=True, help="Cluster every article again, even those already in a story.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the stories as JSON.")
def stories(db: str | None, rebuild: bool, limit: int, as_json: bool) -> None:
    """Stories: articles about the same event from different outlets, grouped (new articles are
    assigned to stories on first use)."""
    from khabar.render import escape

    with _open_archive(db) as archive:
        archive.cluster(rebuild=rebuild)
        found = archive.stories(limit=limit, cluster=False)
    if as_json:
        _echo_json([s.to_dict() for s in found])
        return
    console = _console()
    if not found:
        console.print("[dim]no story has more than one article yet[/]")
    for s in found:
        console.print(f"[bold cyan]story {s.id}[/] [bold]{escape(s.title or '')}[/] "
                      f"[dim]{s.size} articles, {s.outlets} outlets[/]")
        for a in s.articles:
            console.print(f"  [cyan]{a.id:>5}[/] {escape(a.source or '?')}: {escape(_title(a.title, a.lead))} "
                          f"[dim]{escape((a.published or '')[:10])}[/]")


@main.command()
@_db_option
@click.option("--all", "everything", is_flag=True, help="Reanalyze every article, not only --restore-only ones.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, help="Worker processes (default: all cores).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the work runs: worker processes here, or a Ray cluster (pip install 'khabar[scale]').")
@click.option("--address", metavar="auto|ray://HOST:PORT", default=None,
              help="The Ray cluster to join (default: start one on this machine).")
def reanalyze(db: str | None, everything: bool, jobs: int | None, engine: str, address: str | None) -> None:
    """Run the full pipeline on articles ingested with --restore-only (or, with --all, on every article)."""
    if address and engine != "ray":
        raise click.UsageError("--address is for --engine ray")
    options: dict[str, Any] = {"address": address} if engine == "ray" else {}
    with _open_archive(db, writes=True) as archive:
        done, failures = archive.reanalyze(everything=everything, jobs=jobs, engine=engine, **options)
    click.echo(f"{done} articles reanalyzed, {len(failures)} failed", err=True)
    for f in failures[:20]:
        click.echo(visible(f"  failed: {f.origin}: {f.reason}"), err=True)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@_db_option
@click.option("--batch", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Articles per transaction.")
def load(folder: str, db: str | None, batch: int) -> None:
    """Bulk-load the Parquet shards that `khabar ingest --engine ray --output FOLDER` wrote into the
    archive (COPY on PostgreSQL). Articles the archive has already are skipped: a load can be rerun."""
    with _open_archive(db, must_exist=False) as archive:
        added, already = archive.load(folder, batch=batch)
        address = archive.address
    click.echo(visible(f"{added} articles loaded ({already} already there) → {address}"), err=True)


@main.command()
@click.argument("source_db", metavar="SRC")
@click.argument("target_db", metavar="DST")
def copy(source_db: str, target_db: str) -> None:
    """Copy a whole archive to another (SQLite → PostgreSQL and back): every Document exactly, its
    metadata, ids and stories. What DST has already is skipped, so an interrupted copy can be rerun."""
    with _open_archive(source_db) as src, _open_archive(target_db, must_exist=False) as dst:
        if src.address == dst.address:
            raise click.ClickException(f"{src.address}: source and target are the same archive")
        n = src.copy_to(dst)
        total = src.stats()["articles"]
    click.echo(visible(f"{n} articles copied ({total - n} already there) → {dst.address}"), err=True)


@main.command()
@_db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=10.0, show_default=True,
              help="Seconds one archive query may take before the request answers 503.")
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Archive queries served at once by each process (each thread keeps its own connection); "
                   "the rest wait their turn. More help where queries wait on a database server.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes sharing the port (one per core answers the most requests).")
@click.option("--no-stories", is_flag=True,
              help="Do not assign stories to articles that have none (by default done in the background).")
def serve(db: str | None, host: str, port: int, timeout: float, threads: int, workers: int, no_stories: bool) -> None:
    """Serve the archive: the REST API under /api/v1 (docs at /docs) and the Persian web pages.

    Read-only unless the environment sets KHABAR_TOKEN: then POST /api/v1/articles adds articles
    for requests with `Authorization: Bearer $KHABAR_TOKEN`. Ctrl-C stops the server.
    """
    import os

    try:
        from khabar.api.app import Settings
        from khabar.api.server import serve as run_server
    except ImportError as err:
        raise click.ClickException(f"khabar serve needs the web extra ({err.name} is missing): "
                                   "pip install 'khabar[web]'") from None
    with _open_archive(db) as archive:  # fails now, with a remedy, on a missing or unreadable archive
        shown, address = archive.address, db or archive.local_path or archive.address
        unclustered = 0 if no_stories else archive.stats().get("unclustered", 0)
    if unclustered:  # as `khabar stories` does on first use, so the pages show every story; serving starts now
        import threading

        def cluster() -> None:
            try:
                with Archive.open(address, must_exist=True) as own:
                    own.cluster()
                click.echo(f"khabar: stories assigned to {unclustered} article{'s' if unclustered != 1 else ''}",
                           err=True)
            except KhabarError as err:
                click.echo(visible(f"khabar: stories not assigned: {err}"), err=True)

        click.echo(f"khabar: assigning stories to {unclustered} article{'s' if unclustered != 1 else ''} "
                   "in the background", err=True)
        threading.Thread(target=cluster, name="khabar-stories", daemon=True).start()
    settings = Settings(db=address, token=os.environ.get("KHABAR_TOKEN") or None, timeout=timeout, threads=threads)

    def ready(url: str) -> None:
        mode = "read-write (KHABAR_TOKEN set)" if settings.token else "read-only (set KHABAR_TOKEN to allow writes)"
        click.echo(visible(f"khabar: serving {shown} at {url} — API {url}api/v1/ (docs {url}docs), {mode}; "
                           "Ctrl-C stops"))
        sys.stdout.flush()

    try:
        run_server(settings, host=host, port=port, workers=workers, ready=ready)
    except OSError as err:
        raise click.ClickException(str(err.strerror or err)) from None
    except KeyboardInterrupt:  # uvicorn shuts down on Ctrl-C, then passes the signal on
        pass
    click.echo("khabar: stopped", err=True)

# -- following outlets: watch, feeds, alert --------------------------------------------------------

def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from khabar.archive import parse_every

    try:
        return parse_every(value, zero=param.name == "spacing")
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def _clock(ts: float | None) -> str:
    import time as _time

    return _time.strftime("%H:%M:%S", _time.localtime(ts)) if ts else "—"


def _ago(ts: float | None, now: float) -> str:
    from khabar.archive import human_duration

    if not ts:
        return "never"
    return f"{human_duration(abs(now - ts))} {'ago' if ts <= now else 'from now'}"


@main.command()
@click.argument("feed_urls", nargs=-1, metavar="[FEED_URL]...")
@click.option("--feeds", "feeds_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A file of feed URLs (one a line, # for comments) or a feed reader's OPML export.")
@_db_option
@click.option("--every", default="10m", show_default=True, callback=_duration,
              help="Time between two polls of a feed: 30s, 10m, 1h (a failing feed waits longer, doubling).")
@click.option("--once", is_flag=True, help="Poll each feed once (those backing off are left for later), then stop.")
@click.option("--spacing", default="2s", show_default=True, callback=_duration,
              help="At least this long between two requests to one host (robots.txt's Crawl-delay may raise it).")
@click.option("--timeout", default="10s", show_default=True, callback=_duration,
              help="Connecting, and each read, may take this long.")
@click.option("--deadline", default="30s", show_default=True, callback=_duration,
              help="A whole answer, body included, may take this long.")
@click.option("--max-items", type=click.IntRange(1, 100_000), default=100, show_default=True,
              help="Items handled per poll of one feed, newest first; the rest wait for the next polls.")
@click.option("--no-pages", is_flag=True, help="Store each item's text as the feed gives it; do not fetch its page.")
@click.option("--restore-only", is_flag=True, help="Only restore and segment new articles (khabar reanalyze later).")
@click.option("--user-agent", default=None, help="The User-Agent sent (default names khabar and its address; "
                                                   "add a way to reach you).")
@click.option("--json", "as_json", is_flag=True, help="Print every event (alerts, problems) as a JSON line on stdout.")
def watch(feed_urls: tuple[str, ...], feeds_file: str | None, db: str | None, every: float, once: bool,
          spacing: float, timeout: float, deadline: float, max_items: int, no_pages: bool, restore_only: bool,
          user_agent: str | None, as_json: bool) -> None:
    """Follow outlets: poll RSS/Atom feeds, store each new article once, and raise the saved alerts.

    Feeds given once are remembered by the archive: `khabar watch --db news.db` alone follows them
    again. Each feed is asked with the validators of its last answer (an unchanged feed answers 304),
    one request per host every --spacing, robots.txt honoured; every new item's page is fetched,
    extracted and analysed as `khabar ingest` does, deduplicated, put into stories, and matched
    against the saved searches (khabar alert). Problems are printed once each. Ctrl-C stops cleanly;
    a killed watcher loses nothing and refetches nothing when started again.
    """
    import asyncio
    import signal
    import time as _time

    from khabar.archive import USER_AGENT, WatchEvent, WatchOptions, read_feed_list

    urls = list(feed_urls)
    if feeds_file:
        urls += read_feed_list(feeds_file)
    bad = [u for u in urls if not u.lower().startswith(("http://", "https://"))]
    if bad:
        raise click.UsageError(f"not an http(s) feed URL: {bad[0]}")
    options = WatchOptions(every=every, spacing=spacing, timeout=timeout, deadline=deadline, max_items=max_items,
                           pages=not no_pages, user_agent=user_agent or USER_AGENT)
    err = sys.stderr
    status_tty = err.isatty() and not as_json
    last_status = [0.0]

    def show(event: WatchEvent) -> None:
        now = _time.time()
        if as_json:
            record = {"time": now, "kind": event.kind, "feed": event.feed, "message": event.message}
            if event.alert is not None:
                record["alert"] = event.alert.to_dict()
            click.echo(json.dumps(record, ensure_ascii=False))
            return
        if status_tty:
            err.write("\r\x1b[2K")
        if event.kind == "alert" and event.alert is not None:
            a = event.alert
            click.echo(f"{_clock(now)} alert «{_safe(a.alert)}» {a.article_id}: {_safe(a.title or '(untitled)')} — "
                       f"{_safe(a.outlet or '?')} {a.url or ''}".rstrip())
        else:
            click.echo(f"{_clock(now)} {event.kind}: {event.feed}: {_safe(event.message)}", file=err)

    archive = _open_archive(db, must_exist=False, writes=True)
    watcher = archive.watcher(urls or None, options=options, on_event=show, restore_only=restore_only)

    def status() -> None:
        now = _time.time()
        if as_json:
            return
        if status_tty:
            err.write("\r\x1b[2K" + watcher.status.line(now)[: max(20, _terminal_width() - 1)])
            err.flush()
        elif now - last_status[0] >= max(60.0, min(every, 600.0)):
            last_status[0] = now
            click.echo(f"{_clock(now)} status: {watcher.status.line(now)}", file=err)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, watcher.stop)

        async def tick() -> None:
            while True:
                status()
                await asyncio.sleep(1.0)

        ticker = asyncio.create_task(tick())
        try:
            await watcher.run(once=once)
        finally:
            ticker.cancel()

    started = _time.time()
    try:
        asyncio.run(run())
    finally:
        archive.close()
    if status_tty:
        err.write("\r\x1b[2K")
    s = watcher.status
    click.echo(f"{s.feeds} feeds, {s.polls} polls ({s.not_modified} unchanged): {s.new} new, {s.duplicates} "
               f"duplicates, {s.failed_items} failed items, {s.failing} feeds failing, {s.pending} items pending, "
               f"{s.alerts} alerts in {human_seconds(_time.time() - started)} → {archive.address}", file=err)


def _safe(text: str) -> str:
    """Text from the web without the control characters that would drive the terminal."""
    return "".join(c if c.isprintable() or c in "\u200c\u200d" else " " for c in text)


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 20)).columns


def human_seconds(seconds: float) -> str:
    from khabar.archive import human_duration

    return human_duration(seconds)


@main.command()
@_db_option
@click.option("--remove", "remove", multiple=True, metavar="URL", help="Stop following this feed (its articles stay).")
@click.option("--json", "as_json", is_flag=True, help="Print the feeds as JSON.")
def feeds(db: str | None, remove: tuple[str, ...], as_json: bool) -> None:
    """The feeds `khabar watch` follows, with their health: last poll, problem, articles, next poll."""
    import time as _time

    from khabar.render import escape

    with _open_archive(db) as archive:
        for url in remove:
            archive.unfollow(url)
            click.echo(f"no longer following {url}", err=True)
        found = archive.feeds()
        counts = archive.feed_items()
    if as_json:
        click.echo(json.dumps([{**f.to_dict(), "items": counts.get(f.url, {})} for f in found], ensure_ascii=False,
                              indent=1))
        return
    console = _console()
    if not found:
        console.print("[dim]no feeds followed yet (khabar watch FEED_URL… --db …)[/]")
        return
    now = _time.time()
    colours = {"ok": "green", "failing": "red", "new": "yellow"}
    for f in found:
        items = counts.get(f.url, {})
        pending = f", {items['pending']} pending" if items.get("pending") else ""
        console.print(f"[{colours[f.health]}]{f.health:>7}[/] [bold]{escape(f.url)}[/] "
                      f"[dim]{escape(_safe(f.title or ''))}[/]")
        line = (f"         {items.get('stored', 0)} articles{pending} · last poll {_ago(f.last_poll, now)}"
                f" ({f.last_status or '—'}) · next {_ago(f.next_poll, now) if f.last_poll else 'at the next run'}")
        console.print(f"[dim]{escape(line)}[/]")
        if f.failures:
            console.print(f"         [red]{f.failures} failed poll{'s' if f.failures > 1 else ''}: "
                          f"{escape(_safe(f.last_error or ''))}[/]")


@main.group()
def alert() -> None:
    """Saved searches: every article stored from now on is matched, and the matches are kept."""


@alert.command(name="add")
@click.argument("name")
@click.argument("query", required=False, default="")
@_db_option
@click.option("--person", help="Only articles that mention this person.")
@click.option("--org", help="Only articles that mention this organization.")
@click.option("--place", help="Only articles that mention this place.")
@click.option("--source", help="Only articles from this outlet.")
@click.option("--has-quotes", is_flag=True, help="Only articles with statements.")
def alert_add(name: str, query: str, db: str | None, person: str | None, org: str | None, place: str | None,
              source: str | None, has_quotes: bool) -> None:
    """Save a search under NAME: QUERY as `khabar search` takes it, and the facets."""
    with _open_archive(db, must_exist=False) as archive:
        saved = archive.add_alert(name, query, person=person, org=org, place=place, source=source,
                                  has_quotes=has_quotes)
    click.echo(f"saved «{saved.name}»: {saved.describe()} (matched against every article stored from now on)",
               err=True)


@alert.command(name="list")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the saved searches as JSON.")
def alert_list(db: str | None, as_json: bool) -> None:
    """The saved searches."""
    from khabar.render import escape

    with _open_archive(db) as archive:
        found = archive.alerts()
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in found], ensure_ascii=False, indent=1))
        return
    console = _console()
    if not found:
        console.print("[dim]no saved searches (khabar alert add NAME QUERY)[/]")
    for a in found:
        console.print(f"[bold]{escape(a.name)}[/] {escape(a.describe())} [dim]since {escape((a.created or '')[:16])}[/]")


@alert.command(name="show")
@click.argument("name")
@_db_option
@click.option("--since", metavar="DATE", help="Only matches from this day (Jalali or Gregorian) or ISO time on.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@click.option("--atom", is_flag=True, help="Print the matches as an Atom feed.")
def alert_show(name: str, db: str | None, since: str | None, limit: int, as_json: bool, atom: bool) -> None:
    """The articles a saved search matched, newest first."""
    from khabar.render import escape

    with _open_archive(db) as archive:
        saved = archive.alert(name)
        found = archive.alert_matches(name, since=since, limit=limit)
        if atom:
            sys.stdout.buffer.write(archive.alert_atom(name, since=since, limit=limit) + b"\n")
            return
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in found], ensure_ascii=False, indent=1))
        return
    console = _console()
    console.print(f"[bold]{escape(saved.name)}[/] {escape(saved.describe())} [dim]{len(found)} "
                  f"match{'es' if len(found) != 1 else ''}{' shown' if len(found) == limit else ''}[/]")
    for m in found:
        console.print(f"  [cyan]{m.article_id:>5}[/] {escape(_safe(m.title or '(untitled)'))} "
                      f"[dim]{escape(_safe(m.outlet or ''))} {escape((m.published or '')[:10])} · matched "
                      f"{escape(m.matched_at[:16])}[/]")


@alert.command(name="remove")
@click.argument("name")
@_db_option
def alert_remove(name: str, db: str | None) -> None:
    """Delete a saved search and its matches."""
    with _open_archive(db) as archive:
        archive.remove_alert(name)
    click.echo(f"removed «{name}»", err=True)



if __name__ == "__main__":  # pragma: no cover
    main()
