"""The idea store's exports: the records (``records``: which ideas and which of their data, for the
organizer or as open data), one module per format (``to_csv``, ``to_xlsx``, ``to_json``,
``to_markdown``, ``to_html``) and the open-data package with its DCAT-AP.de metadata (``open_data``)."""
