"""khabar's REST API (``/api/v1``), served with the web pages by ``khabar serve``.

Needs the ``web`` extra (``pip install 'khabar[web]'``): FastAPI, uvicorn, Jinja2.

    from khabar.api import Settings, create_app
    app = create_app(Settings(db="news.db"))
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that khabar.web can import khabar.api's small modules without a cycle.
    if name in __all__:
        from khabar.api import app

        return getattr(app, name)
    raise AttributeError(name)
