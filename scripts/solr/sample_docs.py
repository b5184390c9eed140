#!/usr/bin/env python3
"""Prints N deterministic sample documents for the Solr test core as a JSON array.

   scripts/solr/sample_docs.py 1000 | curl -sf -H 'Content-Type: application/json' \
       --data-binary @- "$SHOAL_SOLR_URL/$SHOAL_SOLR_CORE/update?commit=true"

Fields follow scripts/solr/configsets/catalog/conf/managed-schema.xml: ids that
sort as strings (doc-00000 ...), a multi-valued tag list (sometimes empty, then
left out), a date, numbers, and titles with non-ASCII text (accents, CJK, emoji
outside the BMP) so a client's JSON and UTF-8 handling is exercised.
"""
import datetime
import json
import sys

WORDS = ["café", "naïve", "Ωmega", "東京", "Straße", "ünïcödé", "plain", "🦀crab", "data", "shoal"]
TAGS = ["red", "green", "blue", "äöü", "日本"]


def doc(i):
    d = {
        "id": f"doc-{i:05d}",
        "title": f"{WORDS[i % len(WORDS)]} item {i}",
        "body": " ".join(WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 4)),
        "published": (datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
                      + datetime.timedelta(hours=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "price": round(0.5 + (i * 37 % 1000) / 10, 2),
        "stock": i % 17,
        "active": i % 3 != 0,
    }
    tags = [TAGS[(i + k) % len(TAGS)] for k in range(i % 4)]
    if tags:
        d["tags"] = tags
    return d


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    start = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    json.dump([doc(i) for i in range(start, start + n)], sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
