"""Interface strings: the gettext catalogs, the keys built at run time, and the extractors."""
