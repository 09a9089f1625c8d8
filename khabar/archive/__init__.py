"""The archive: ingest, search, people, stories and export over a storage backend.

- :mod:`khabar.archive.runner`: the ingest run and reanalysis (read, analyse on all cores, store).
- :mod:`khabar.archive.keys`: search keys and content keys, computed before storage.
- :mod:`khabar.archive.query`: the query language, parsed into a tree.
- :mod:`khabar.archive.search`, :mod:`khabar.archive.people`, :mod:`khabar.archive.stories`,
  :mod:`khabar.archive.export`: what is read back.
- :mod:`khabar.archive.storage`: the storage interface, its registry and its backends.
"""
