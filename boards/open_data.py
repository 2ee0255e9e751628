"""When an event's results are open data: the licences an organizer may choose, and the rules for
publishing them.

An event's ideas are public only once its organizer has chosen a licence, named the publishing
body (the town, for the licence's attribution and DCAT-AP.de's ``dct:publisher``) and switched
"publish" on; switching it off makes the public addresses disappear again. What the open data
holds (no personal data, nothing hidden, no unrevealed votes) is decided by the export
(``server.store.exports.records``), not here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

from boards.errors import InvalidInput
from boards.text import clean_text

PUBLISHER_MAX = 200
CONTRIBUTOR_MAX = 300


class Licence(enum.StrEnum):
    """The licences GovData and DCAT-AP.de name for open government data, by their DCAT-AP.de key."""

    CC_BY_4 = "cc-by/4.0"
    CC_ZERO = "cc-zero"
    DL_BY_DE_2 = "dl-by-de/2.0"
    DL_ZERO_DE_2 = "dl-zero-de/2.0"

    @property
    def uri(self) -> str:
        """The licence in DCAT-AP.de's vocabulary (``dct:license``)."""
        return f"http://dcat-ap.de/def/licenses/{self.value}"

    @property
    def label(self) -> str:
        return LICENCE_TITLES[self]

    @property
    def url(self) -> str:
        """The licence text people read."""
        return LICENCE_TEXTS[self]

    @property
    def attribution(self) -> bool:
        """Whether reusers must name the publisher."""
        return self in (Licence.CC_BY_4, Licence.DL_BY_DE_2)


LICENCE_TITLES = {
    Licence.CC_BY_4: "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
    Licence.CC_ZERO: "Creative Commons CC Zero 1.0 Universell (CC0 1.0)",
    Licence.DL_BY_DE_2: "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)",
    Licence.DL_ZERO_DE_2: "Datenlizenz Deutschland – Zero – Version 2.0 (dl-de/zero-2-0)",
}
LICENCE_TEXTS = {
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/",
    Licence.CC_ZERO: "https://creativecommons.org/publicdomain/zero/1.0/",
    Licence.DL_BY_DE_2: "https://www.govdata.de/dl-de/by-2-0",
    Licence.DL_ZERO_DE_2: "https://www.govdata.de/dl-de/zero-2-0",
}


@dataclass(frozen=True, slots=True)
class OpenData:
    """An event's open-data settings as the organizer chose them."""

    licence: Licence | None = None
    publisher: str = ""  # the publishing body, e.g. "Stadt Aalen"
    contributor_id: str = ""  # dcatde:contributorID, a URI GovData gives the portal; empty: none
    published: bool = False


def licence(value: str) -> Licence | None:
    """The licence chosen in a form; "" is none."""
    if not value:
        return None
    try:
        return Licence(value)
    except ValueError:
        allowed = ", ".join(item.value for item in Licence)
        raise InvalidInput(f"Unknown licence {value!r}; one of {allowed}.", code="invalid_licence") from None


def clean_open_data(*, licence_key: str, publisher: str, contributor_id: str, publish: bool) -> OpenData:
    """The settings from the console's form, or an InvalidInput naming what is missing or wrong."""
    chosen = licence(licence_key)
    name = clean_text(publisher, label="The publisher", min_len=0, max_len=PUBLISHER_MAX)
    contributor = clean_text(contributor_id, label="The contributor ID", min_len=0, max_len=CONTRIBUTOR_MAX)
    if contributor:
        parts = urlsplit(contributor)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in contributor:
            raise InvalidInput(
                "The contributor ID is a URI such as http://dcat-ap.de/def/contributors/…", code="invalid_contributor"
            )
    if publish and chosen is None:
        raise InvalidInput("Choose a licence before publishing.", code="licence_missing")
    if publish and not name:
        raise InvalidInput("Name the publisher before publishing.", code="publisher_missing")
    return OpenData(licence=chosen, publisher=name, contributor_id=contributor, published=publish)
