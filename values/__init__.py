"""Reading one cell: identity numbers, names and pinyin, dates, coded fields and places.

The bottom of the house: ingest stages with these parsers, linkage compares what they
produce, and nothing here imports any other package of childreg.
"""
