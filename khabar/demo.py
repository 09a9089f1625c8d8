"""``make demo``: build an archive from the sample articles in samples/, search it, then serve it.

Runs the same commands a user would type, and shows each one first: ``khabar ingest`` on the
samples (text, HTML, a feed and a JSONL dump from several outlets, as scraped), searches where
spelling variants meet, a person facet, a Jalali date range, ``khabar person`` and
``khabar stories``. The archive goes to a temporary folder unless ``--db PATH`` is given. With
``--serve`` (what ``make demo`` runs) it ends by serving the archive — the web page and the API —
and prints the address; Ctrl-C stops it.

    python -m khabar.demo [--db demo.db] [--samples DIR] [--serve [--port 8000]]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

from rich.console import Console

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# (what it shows, the command after `khabar`)
STEPS: list[tuple[str, list[str]]] = [
    ("Spelling variants meet: «می کند» (ZWNJ written as a space) …",
     ["search", "می کند", "--limit", "3"]),
    ("… «ميكند» (Arabic letters, no ZWNJ) finds the same articles",
     ["search", "ميكند", "--limit", "3"]),
    ("A phrase, limited to articles that mention a person",
     ["search", '"وزیر امور خارجه"', "--person", "لاوروف"]),
    ("A Jalali date range (Gregorian works too): what was published on 24–25 Mehr 1403",
     ["search", "", "--since", "۲۴ مهر ۱۴۰۳", "--until", "1403-07-25", "--limit", "5"]),
    ("Words, OR, NOT and a prefix", ["search", "(زلزله OR زمین*) NOT تهران", "--limit", "3"]),
    ("What the archive knows about a person", ["person", "لاوروف"]),
    ("Stories: one event told by several outlets", ["stories", "--limit", "3"]),
]


def run(db: str, samples: Path, console: Console) -> int:
    """Ingest ``samples`` into ``db`` and run the demo searches; returns an exit status."""
    from khabar.cli import main

    def khabar(args: list[str]) -> None:
        console.print(f"[bold green]$ khabar {' '.join(shlex.quote(a) for a in args)}[/]")
        try:
            main.main([*args, "--db", db], prog_name="khabar", standalone_mode=False)
        except SystemExit as stop:  # a command that ends with sys.exit (e.g. an interrupted ingest)
            if stop.code:
                raise
        except Exception as err:  # the demo goes on, showing what failed
            console.print(f"[red]{type(err).__name__}: {err}[/]")
        sys.stdout.flush()
        console.print()

    if not samples.is_dir():
        console.print(f"[red]no sample articles at {samples} (run the demo from a checkout of the repository)[/]")
        return 1
    console.rule("[bold]khabar: an archive of Persian news, searched the way Persian is written")
    console.print(f"[dim]Sample articles: {samples} — text, HTML, a feed and a JSONL dump, as scraped[/]\n")
    khabar(["ingest", str(samples)])
    for what, args in STEPS:
        console.rule(f"[bold]{what}")
        khabar(args)
    console.print(f"[dim]The archive is {db}; try `khabar search QUERY --db {db}`, `khabar show ID --db {db}`.[/]")
    return 0


def serve(db: str, port: int, console: Console) -> int:
    """Serve the demo archive until Ctrl-C (``port`` taken: any free one)."""
    try:
        from khabar.api.app import Settings
        from khabar.api.server import serve as run_server
    except ImportError as err:
        console.print(f"[red]serving needs the web extra ({err.name} is missing): pip install 'khabar[web]'[/]")
        return 1

    def ready(url: str) -> None:
        console.rule("[bold]The web page and the API")
        console.print(f"[bold green]Serving the demo archive at {url}[/]  (search, articles, people, stories; "
                      f"API docs at {url}docs). Ctrl-C stops.")
        sys.stdout.flush()

    settings = Settings(db=db)
    try:
        run_server(settings, port=port, ready=ready)
    except OSError:
        if port == 0:
            raise
        run_server(settings, port=0, ready=ready)  # the port is taken: any free one, and say which
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m khabar.demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="keep the archive in this file (default: a temporary folder)")
    ap.add_argument("--samples", type=Path, default=SAMPLES, help="folder of sample articles")
    ap.add_argument("--serve", action="store_true", help="end by serving the archive (web page and API) until Ctrl-C")
    ap.add_argument("--port", type=int, default=8000, help="port for --serve (taken: any free one)")
    args = ap.parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)

    def demo(db: str) -> int:
        status = run(db, args.samples, console)
        if status == 0 and args.serve:
            return serve(db, args.port, console)
        return status

    if args.db:
        return demo(args.db)
    with tempfile.TemporaryDirectory(prefix="khabar-demo-") as tmp:
        return demo(str(Path(tmp) / "demo.db"))


if __name__ == "__main__":
    sys.exit(main())
