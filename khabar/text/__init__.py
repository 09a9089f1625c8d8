"""Persian text basics every layer shares: the one fold, character constants, word lists, calendars.

Nothing here imports anything else from khabar, so the pipeline, the readers, the archive and its
storage backends can all build on it.

- :mod:`khabar.text.chars`: ZWNJ and the other characters khabar names.
- :mod:`khabar.text.fold`: THE fold (letters, digits, ZWNJ/space, vowel marks, tatweel), one
  implementation whose parts each caller picks, and :func:`~khabar.text.fold.fold`, the search key's.
- :mod:`khabar.text.words`: word lists (honorifics, role heads, stop words) read from resources.
- :mod:`khabar.text.calendar`: Jalali and lunar Hijri calendars (jdatetime, hijridate), month names,
  and the one parser of dates as sites, feeds and users write them.
"""
