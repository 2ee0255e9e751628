"""The site's own pages that organizers write (``rooms.site_texts``): one text per page and language."""

from __future__ import annotations

import sqlalchemy as sa

from rooms.site_texts import Page
from server.ids import utcnow
from server.store import tables as t
from server.store.boards import BoardStore, in_thread, reading, upsert


class SiteTextStore(BoardStore):
    """The privacy page's and the accessibility statement's texts; ``IdeaStore`` inherits it."""

    @reading
    def site_text(self, page: Page, language: str) -> str | None:
        """The page's text in the language as an organizer wrote it; None: the default text."""
        s = t.site_texts
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(s.c.text).where(s.c.page == page.value, s.c.language == language)
            ).scalar_one_or_none()

    @in_thread
    def set_site_text(self, page: Page, language: str, text: str | None, organizer_id: str) -> None:
        """Store the page's text in the language (cleaned by ``rooms.site_texts.clean_site_text``); None or an
        empty text goes back to the default."""
        s = t.site_texts
        with self.engine.begin() as conn:
            if not text:
                conn.execute(s.delete().where(s.c.page == page.value, s.c.language == language))
                return
            values = {
                "page": page.value,
                "language": language,
                "text": text,
                "updated_at": utcnow(),
                "updated_by": organizer_id,
            }
            upsert(conn, s, values)
