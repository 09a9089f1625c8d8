"""The ``khabar`` command: thin commands over the library.

Commands are verbs: ``restore`` (a Unix filter), ``analyze``. Errors are printed as one line with
a remedy and exit with status 1 (bad input) or 2 (usage).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from khabar import __version__
from khabar.decoding import decode
from khabar.errors import KhabarError

# Files above this size are restored paragraph by paragraph, so memory stays bounded.
STREAM_BYTES = 8 * 1024 * 1024
# `analyze` keeps every span of an article in memory; above this it asks for `restore` instead.
MAX_ANALYZE_BYTES = 64 * 1024 * 1024


class KhabarGroup(click.Group):
    """Turns khabar's errors into one-line messages with a remedy instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KhabarError as err:
            raise click.ClickException(str(err)) from None
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)


@click.group(cls=KhabarGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="khabar")
def main() -> None:
    """khabar: restored, structured and searchable Persian news."""


def read_input(path: str) -> tuple[str, str]:
    """``(name, text)`` of a file path, or of standard input for ``-``."""
    if path == "-":
        return "<stdin>", decode(sys.stdin.buffer.read(), "<stdin>")
    p = Path(path)
    if p.is_dir():
        raise click.ClickException(f"{path}: is a directory (give the files in it, e.g. {path}/*.txt)")
    try:
        size = p.stat().st_size
    except OSError as err:
        raise click.ClickException(f"{path}: {err.strerror or err}") from None
    if size > MAX_ANALYZE_BYTES:
        raise click.ClickException(
            f"{path}: {size:,} bytes is over the {MAX_ANALYZE_BYTES:,}-byte limit for one article"
            " (split it, or use `khabar restore`, which streams)")
    return path, decode(p.read_bytes(), path)


def _stream_paragraphs(path: str) -> Iterator[str]:
    """Decoded text of a large file in chunks that end at line breaks (restoration never crosses them)."""
    # Decide the encoding on the first chunk, then decode incrementally.
    import codecs

    from khabar.decoding import detect

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        encoding = detect(head, partial=True)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        data = head
        pending = ""
        offset = 0
        while data:
            try:
                pending += decoder.decode(data)
            except UnicodeDecodeError as err:
                raise click.ClickException(
                    f"{path}: invalid {encoding} at byte offset {offset + err.start}"
                    " (convert the file to UTF-8, e.g. with iconv)") from None
            offset += len(data)
            cut = pending.rfind("\n")
            if cut >= 0:
                yield pending[: cut + 1]
                pending = pending[cut + 1:]
            data = fh.read(1 << 20)
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def restore(files: tuple[str, ...]) -> None:
    """Restore Persian text: letters, digits, spacing and ZWNJs.

    With no FILE (or -) it reads standard input and writes standard output.
    """
    from khabar.pipeline import restore as restore_text

    out = sys.stdout
    for path in files or ("-",):
        if path != "-" and Path(path).is_file() and Path(path).stat().st_size > STREAM_BYTES:
            for chunk in _stream_paragraphs(path):
                body = chunk.rstrip("\n")
                out.write(restore_text(body) + chunk[len(body):])
            continue
        _, text = read_input(path)
        restored = restore_text(text)
        out.write(restored)
        if restored and not restored.endswith("\n") and text.endswith("\n"):
            out.write("\n")
    out.flush()


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print Document.to_dict() as JSON (one object per line for several files).")
@click.option("--published", help="Publication date (ISO), to resolve relative dates such as امروز.")
@click.option("--url", help="The article's URL.")
def analyze(files: tuple[str, ...], as_json: bool, published: str | None, url: str | None) -> None:
    """Analyze articles: restored text with changes marked, sentences, and every stage's results."""
    from khabar.pipeline import analyze as analyze_text
    from khabar.render import render_document

    for path in files or ("-",):
        name, text = read_input(path)
        doc = analyze_text(text, published=published, url=url)
        if as_json:
            click.echo(json.dumps(doc.to_dict(), ensure_ascii=False))
        else:
            if len(files) > 1:
                click.secho(f"== {name}", bold=True)
            render_document(doc)


if __name__ == "__main__":  # pragma: no cover
    main()
