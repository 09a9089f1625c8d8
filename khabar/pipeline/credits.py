"""Source credits: which outlet an article credits, and where the credit stands.

Persian news names its source in a few set ways: an opening ``به گزارش ایلنا،`` (often with a role,
``به گزارش خبرنگار سیاسی مهر،``), an opening dateline (``باشگاه خبرنگاران جوان ـ``,
``تهران - ایرنا -``), ``به نقل از …``, and footers (``منبع: …``, ``توسط jahankhabari.ir``). The
opening credit wins over a footer; ``به نقل از`` is the weakest (it often credits a quoted outlet).

>>> from khabar.document import Document
>>> CreditFinder()(Document.from_raw("به گزارش خبرنگار سیاسی مهر، وزیر گفت.")).source.name
'مهر'
"""

from __future__ import annotations

import re
from typing import ClassVar

from khabar.document import Document, SourceCredit
from khabar.text.chars import ZWNJ

_W = rf"(?:(?!\u0640)[\w{ZWNJ}])+"  # a word; a lone tatweel is a dash, not a letter
# Roles between `به گزارش` and the outlet: the reporter, the desk, the correspondent abroad.
_ROLE = (
    rf"(?:(?:خبرنگار|گروه|سرویس|دبیر|پایگاه\s+اطلاع{ZWNJ}?رسانی|پایگاه\s+خبری|سایت|روابط\s+عمومی|مرکز\s+رسانه)"
    rf"(?:\s+(?!خبرگزاری|روزنامه){_W}){{0,3}}?\s+(?:اعزامی\s+)?(?:به\s+{_W}\s+)?)"
)
# An outlet's name, up to ten words (`معاونت مطبوعاتی … وزارت فرهنگ و ارشاد اسلامی`), or quoted
# (`«تابناک»`, `"ورزش سه"`).
_OUTLET = (rf"(?:[\"«“](?P<quoted>[^\"«»“”\n]{{1,40}})[\"»”]"
           rf"|(?P<name>(?:{_W}|\.|-)(?:\s+(?:{_W}|\.)){{0,9}}?))")
# The outlet is what stands before the comma or colon; `به نقل از` after it names the outlet's own
# source, `از تهران` or `مستقر در …` where its reporter stands.
# At the start of a line: `به گزارش …` inside a paragraph cites a source for one fact.
OPENING = re.compile(
    rf"(?:^|(?<=\n))[^\S\n]*به\s+گزارش\s+(?!این|همین|به\s)(?:{_ROLE})?{_OUTLET}(?:\s*\((?P<short>[^()\n]{{1,30}})\))?"
    rf"\s*(?=،|,|:|(?<=[\"»”])\s|\s+به\s+نقل\s+از|\s+و\s+به\s+نقل\s+از|\s+و\s+(?:بنابر|بنا\s*بر|طبق)\s+اعلام|\s+از\s+{_W}\s*[،:]|\s+(?:مستقر|اعزامی)\s+در\s)"
)
QUOTING = re.compile(rf"(?<![\w{ZWNJ}])به\s+نقل\s+از\s+(?:{_ROLE})?{_OUTLET}\s*(?=[،,])")
# A dateline: up to four words, a dash, at the very start of the article or a line (`تهران- ایرنا-`).
DATELINE = re.compile(
    # `لندن - ایرنا: …`: a city, then the outlet and a colon (a colon alone is a headline, `وزیر: …`).
    rf"^\s*(?P<city2>{_W})\s*[ـ\-–—]\s*(?P<name2>{_W}(?:\s+{_W}){{0,2}}?)\s*:(?=\s)"
    rf"|^\s*(?:(?P<city>{_W})\s*[ـ\-–—]\s*)?(?P<name>{_W}(?:\s+{_W}){{0,3}}?)\s*[ـ\-–—](?=\s)"
)
# `رویترز: …` at the very start: a colon after one word is a headline's speaker (`وزیر: …`)
# unless the word is an agency readers know.
_AGENCIES = ("ایرنا", "ایسنا", "ایلنا", "ایکنا", "مهر", "فارس", "تسنیم", "شفقنا", "خبرآنلاین", "رویترز",
             "آسوشیتدپرس", "آسوشیتد پرس", "فرانس‌پرس", "فرانس پرس", "خبرگزاری فرانسه", "بلومبرگ", "الجزیره",
             "آناتولی", "اسپوتنیک", "تاس", "شینهوا", "بی‌بی‌سی", "سی‌ان‌ان", "یورونیوز", "ایندیپندنت")
AGENCY_COLON = re.compile(
    rf"^\s*(?P<name>{'|'.join(sorted((re.escape(a) for a in _AGENCIES), key=len, reverse=True))}"
    # or an outlet named as one (`همشهری آنلاین`, `خبرگزاری صدا و سیما`, `روزنامه شرق`)
    rf"|{_W}\s+(?:آنلاین|نیوز|پرس)|(?:خبرگزاری|روزنامه|پایگاه\s+خبری|شبکه)(?:\s+{_W}){{1,3}}?)\s*:(?=\s)")
_DIGIT = re.compile(r"\d")
FOOTER = re.compile(
    r"(?:^|\n)\s*(?:منبع|مأخذ|ماخذ|source|توسط)\s*[:：]?\s*(?P<name>[^\n]{2,60}?)\s*$", re.I
)
# Words that are not outlets when a dateline-like dash opens a text (`گزارش -`, `یادداشت -`).
# Where one of these stands in a credit, the outlet's name starts there (`خبرنگار سیاسی خبرگزاری تسنیم`).
OUTLET_HEAD = re.compile(rf"(?:خبرگزاری|روزنامه|هفته{ZWNJ}?نامه|ماهنامه|شبکه|پایگاه\s+خبری|باشگاه\s+خبرنگاران)(?![\w{ZWNJ}])")
# A reporter's desk before the outlet: `به گزارش خبرنگار اقتصادی ایسنا`.
DESKS = re.compile(
    rf"^(?:(?:سیاسی|اقتصادی|اجتماعی|فرهنگی|ورزشی|بین{ZWNJ}?الملل|بین{ZWNJ}?المللی|پارلمانی|علمی|دانشگاهی|"
    rf"حوادث|جامعه|دفاعی|امنیتی|انرژی|آموزش|سلامت|فضای\s+مجازی|استان{ZWNJ}?ها|اعزامی|ما|حوزه\s+{_W})\s+)+"
)
NOT_OUTLET = {"گزارش", "یادداشت", "خبر", "گفت‌وگو", "گفتگو", "مصاحبه", "تحلیل", "فوری"}


class CreditFinder:
    """Fills ``doc.source`` with the credited outlet, or leaves it None."""

    name: ClassVar[str] = "credits"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    assigns: ClassVar[tuple[str, ...]] = ("source",)

    def __init__(self, *, head_chars: int = 400, head_lines: int = 3, lines_chars: int = 1500) -> None:
        # An opening credit stands in the first sentence or two, or at the start of one of the first
        # lines after a lead (news sites put the lead above it); later `به گزارش` credits a quoted
        # outlet for one fact.
        self.head_chars = head_chars
        self.head_lines = head_lines
        self.lines_chars = lines_chars

    def find(self, doc: Document) -> SourceCredit | None:
        """The credited outlet: an opening credit, a dateline, a footer, then `به نقل از` (example
        above). Words told to an outlet (`به رویترز گفت`, `در گفت‌وگو با ایسنا`) credit it for that
        statement, not the article."""
        text = doc.text
        head = text[: self.head_chars]
        lines = text[: self._lines_end(text)]
        m = OPENING.search(lines)
        if m and not self._name(m):
            m = None  # a desk with its outlet's name cut off by the crawler (`به گزارش گروه سلامت،`)
        dateline = DATELINE.match(head)
        dname = (dateline.group("name") or dateline.group("name2")) if dateline else ""
        if dname.strip() in NOT_OUTLET or _DIGIT.search(dname):
            dateline = None
        if m and not (dateline and dateline.start() < m.start()):
            return self._credit(doc, m)
        if dateline:
            # A dateline opening the article beats a `به گزارش …` further down, which credits one fact.
            return self._credit(doc, dateline)
        agency = AGENCY_COLON.match(head)
        if agency:
            return self._credit(doc, agency)
        tail_start = max(0, len(text) - 300)
        footers = list(FOOTER.finditer(text, tail_start))
        if footers:
            return self._credit(doc, footers[-1])
        q = QUOTING.search(head)
        if q and self._name(q):
            return self._credit(doc, q)
        return None

    def _lines_end(self, text: str) -> int:
        """Where the first ``head_lines`` lines end (at most ``lines_chars`` characters in)."""
        end = 0
        for _ in range(self.head_lines):
            nl = text.find("\n", end)
            if nl < 0:
                return min(len(text), self.lines_chars)
            end = nl + 1
        return min(end, self.lines_chars)

    @staticmethod
    def _name(m: re.Match[str]) -> str:
        """The outlet's name in a credit match: a short name in brackets first (`خبرگزاری دانشجویان
        ایران (ایسنا)`: the one readers know), desks and reporters' roles left out."""
        groups = m.groupdict()
        name = re.sub(r"\s+", " ", groups.get("short") or groups.get("quoted") or groups.get("name")
                      or groups.get("name2") or "")
        name = name.strip(" .،,:-ـ\"«»“”")
        head = OUTLET_HEAD.search(name)
        return name[head.start():] if head else DESKS.sub("", name + " ").strip()

    def _credit(self, doc: Document, m: re.Match[str]) -> SourceCredit:
        start, end = m.span()
        while start < end and text_isspace(doc.text[start]):
            start += 1
        name = self._name(m) or re.sub(r"\s+", " ", m.group("name") or "").strip(" .،,:-ـ")
        return SourceCredit(name, doc.span(start, end))

    def __call__(self, doc: Document) -> Document:
        doc.source = self.find(doc)
        return doc


def text_isspace(ch: str) -> bool:
    """Whether a character is white space (a line break included)."""
    return ch.isspace()
