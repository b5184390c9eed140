#!/usr/bin/env python3
"""The OpenAPI document (`shoal openapi -c FILE`, GET /_shoal/openapi.json) against a real shoal.

Over a SQLite catalog it writes, with a config covering every kind of parameter and answer
(int and string parameters, path and query, bounds, defaults, required ones; result one and
many; a json column, a blob, a computed column, NULL-able and NOT NULL columns), it checks:
  1. `shoal openapi -c FILE` exits 0 and prints a document that openapi-spec-validator (a real
     OpenAPI 3.1 validator) accepts; a few exact facts: the path of {id:int}, parameter schemas
     (types, bounds, defaults, required), column types and nullability, 404 only for one;
  2. real answers of the running server validate against the 200 and 400/404 schemas of the
     document (jsonschema, draft 2020-12): the column types and NOT NULL promises hold;
  3. a bad config: exit 1 and FILE:LINE on stderr; no -c: exit 2;
  4. GET /_shoal/openapi.json on the running server is byte for byte the command's document;
     HEAD, POST (405); after a reload (SIGHUP) that adds an endpoint, the document has it;
     with http.openapi: false the path answers 404.
Exit codes: 0 passed, 1 failed. Runs in the venv of scripts/test-venv.sh (ctest does
`scripts/test-venv.sh run tests/openapi_test.py --shoal BINARY`).
"""

import argparse
import copy
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import jsonschema
from openapi_spec_validator import validate

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from shoal_serve import Shoal, request  # noqa: E402  (tests/lib/shoal_serve.py)

CONFIG = """\
listen: 127.0.0.1:0
store:
  sqlite: {{ path: {db} }}
cache:
  memory: 16MiB
http:
  max_string_param: 100
{http_extra}log:
  level: warn
endpoints:
  - route: /v1/items/{{id:int}}
    query: >-
      SELECT id, sku, title, rating, tags, photo, price_cents / 100.0 AS price
      FROM items WHERE id = :id
    params:
      id: {{ type: int, min: 1, max: 1000000 }}
    result: one
    json: [tags]
    ttl: 60s
  - route: /v1/categories/{{name}}/items
    query: >-
      SELECT id, title, rating FROM items
      WHERE category = :name AND title >= :from ORDER BY id LIMIT :limit
    params:
      name: {{ type: string, min: 2, max: 20 }}
      limit: {{ type: int, default: 20, min: 1, max: 100 }}
      from: {{ type: string, default: "a b", max: 30 }}
    result: many
    ttl: 10s
  - route: /v1/search
    query: SELECT id, sku FROM items WHERE sku = :sku
    params:
      sku: {{ type: string }}
    result: many
    ttl: 5s
{extra}"""

EXTRA_ENDPOINT = """\
  - route: /v1/reviews/{id:int}
    query: SELECT id, stars FROM reviews WHERE id = :id
    result: one
    ttl: 5s
"""


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def make_db(path):
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, title TEXT NOT NULL,
          category TEXT NOT NULL, rating REAL, tags TEXT NOT NULL, photo BLOB,
          price_cents INTEGER NOT NULL);
        CREATE TABLE reviews (id INTEGER PRIMARY KEY, stars INTEGER NOT NULL);
        INSERT INTO items VALUES
          (1, 'SKU-1', 'kettle', 'tools', 4.5, '["new",{"a":1}]', x'00ff10', 1999),
          (2, 'SKU-2', 'saw', 'tools', NULL, '{}', NULL, 500),
          (3, 'SKU-3', 'novel', 'books', 3.0, 'null', x'', 0);
        INSERT INTO reviews VALUES (1, 5);
    """)
    db.commit()
    db.close()


def write_config(directory, db, name="shoal.yaml", http_extra="", extra=""):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(CONFIG.format(db=db, http_extra=http_extra, extra=extra))
    return path




def run_openapi(binary, *args):
    return subprocess.run([binary, "openapi", *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60)


def param(doc, path, name):
    for p in doc["paths"][path]["get"]["parameters"]:
        if p["name"] == name:
            return p
    raise Failure("no parameter %s on %s" % (name, path))


def ok_schema(doc, path):
    return doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def check_document(doc):
    validate(doc)  # raises on an invalid OpenAPI 3.1 document
    check(doc["openapi"] == "3.1.0", "openapi: %r" % doc["openapi"])
    check(doc["info"]["title"] == "shoal" and doc["info"]["version"], "info: %r" % doc["info"])
    check(sorted(doc["paths"]) == ["/v1/categories/{name}/items", "/v1/items/{id}", "/v1/search"],
          "paths: %r" % sorted(doc["paths"]))
    check(param(doc, "/v1/items/{id}", "id") ==
          {"name": "id", "in": "path", "required": True,
           "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 1000000}},
          "id: %r" % param(doc, "/v1/items/{id}", "id"))
    cat = "/v1/categories/{name}/items"
    check(param(doc, cat, "name")["schema"] == {"type": "string", "minLength": 2, "maxLength": 20},
          "name: %r" % param(doc, cat, "name"))
    check(param(doc, cat, "limit") ==
          {"name": "limit", "in": "query", "required": False,
           "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 100,
                      "default": 20}}, "limit: %r" % param(doc, cat, "limit"))
    check(param(doc, cat, "from")["schema"] == {"type": "string", "maxLength": 30, "default": "a b"},
          "from: %r" % param(doc, cat, "from"))
    # No default: required; no max: http.max_string_param.
    check(param(doc, "/v1/search", "sku") ==
          {"name": "sku", "in": "query", "required": True,
           "schema": {"type": "string", "maxLength": 100}}, "sku: %r" % param(doc, "/v1/search", "sku"))
    item = ok_schema(doc, "/v1/items/{id}")
    props = item["properties"]
    check(item["type"] == "object", "item: %r" % item)
    check(props["id"] == {"type": "integer"}, "id column: %r" % props["id"])
    check(props["sku"] == {"type": "string"}, "sku column: %r" % props["sku"])
    check(props["rating"] == {"type": ["number", "null"]}, "rating column: %r" % props["rating"])
    check("type" not in props["tags"], "json column typed: %r" % props["tags"])
    check(props["photo"] == {"type": ["string", "null"], "contentEncoding": "base64"},
          "photo column: %r" % props["photo"])
    check(props["price"] == {}, "computed column: %r" % props["price"])
    listing = ok_schema(doc, cat)
    check(listing["type"] == "array" and listing["items"]["properties"]["title"] == {"type": "string"},
          "listing: %r" % listing)
    check("404" in doc["paths"]["/v1/items/{id}"]["get"]["responses"], "one without 404")
    check("404" not in doc["paths"][cat]["get"]["responses"], "many with 404")
    for code in ("304", "400", "500", "503"):
        check(code in doc["paths"][cat]["get"]["responses"], "no %s" % code)
    print("ok: the document validates (openapi-spec-validator); parameters and columns as declared")


def error_schema(doc):
    return doc["components"]["schemas"]["Error"]


def check_answers(doc, port):
    """Real answers validate against the document's schemas."""
    cases = [
        ("/v1/items/1", "/v1/items/{id}", 200),
        ("/v1/items/2", "/v1/items/{id}", 200),
        ("/v1/items/3", "/v1/items/{id}", 200),
        ("/v1/items/99", "/v1/items/{id}", 404),
        ("/v1/items/0", "/v1/items/{id}", 400),
        ("/v1/categories/tools/items", "/v1/categories/{name}/items", 200),
        ("/v1/categories/books/items?limit=1&from=n", "/v1/categories/{name}/items", 200),
        ("/v1/categories/x/items", "/v1/categories/{name}/items", 400),
        ("/v1/search?sku=SKU-2", "/v1/search", 200),
        ("/v1/search", "/v1/search", 400),
    ]
    for target, path, status in cases:
        got, _, body = request(port, "GET", target)
        check(got == status, "GET %s: %d, expected %d" % (target, got, status))
        schema = ok_schema(doc, path) if status == 200 else error_schema(doc)
        try:
            jsonschema.Draft202012Validator(schema).validate(json.loads(body))
        except jsonschema.ValidationError as e:
            raise Failure("GET %s: the answer does not fit the document: %s\n%s" %
                          (target, e.message, body.decode()))
    # A column promised NOT NULL would fail a NULL: the validator is not lenient.
    bad = copy.deepcopy(ok_schema(doc, "/v1/items/{id}"))
    try:
        jsonschema.Draft202012Validator(bad).validate(
            {"id": None, "sku": "", "title": "", "rating": None, "tags": 1, "photo": None,
             "price": 1})
        raise Failure("a NULL id validated")
    except jsonschema.ValidationError:
        pass
    print("ok: %d real answers fit the document's schemas" % len(cases))


def check_command_errors(binary, directory, db):
    bad = write_config(directory, db, "bad.yaml",
                       extra="  - route: /v1/broken/{id:int}\n"
                             "    query: SELECT id FROM items WHERE id = :nope\n"
                             "    ttl: 5s\n")
    r = run_openapi(binary, "-c", bad)
    check(r.returncode == 1, "bad config: exit %d" % r.returncode)
    check(r.stdout == b"", "bad config printed: %r" % r.stdout[:200])
    check(re.search(rb"bad\.yaml:\d+: endpoint '/v1/broken/\{id:int\}'", r.stderr),
          "bad config: stderr %r" % r.stderr)
    r = run_openapi(binary)
    check(r.returncode == 2 and b"-c FILE is required" in r.stderr, "no -c: %d %r" %
          (r.returncode, r.stderr))
    r = run_openapi(binary, "-c", os.path.join(directory, "missing.yaml"))
    check(r.returncode == 1 and b"missing.yaml" in r.stderr, "missing file: %r" % r.stderr)
    print("ok: a bad config exits 1 naming file:line; no -c exits 2")


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise Failure("not within %d s: %s" % (seconds, what))


def check_served(binary, directory, db, config, printed):
    node = Shoal(binary, config)
    try:
        status, headers, body = request(node.port, "GET", "/_shoal/openapi.json")
        check(status == 200, "GET /_shoal/openapi.json: %d" % status)
        check(headers.get("content-type") == "application/json", "type %r" % headers)
        check(body == printed.rstrip(b"\n"), "served document differs from `shoal openapi`")
        status, headers, head = request(node.port, "HEAD", "/_shoal/openapi.json")
        check(status == 200 and head == b"" and headers.get("content-length") == str(len(body)),
              "HEAD: %d %r" % (status, headers))
        status, headers, _ = request(node.port, "POST", "/_shoal/openapi.json")
        check(status == 405, "POST: %d" % status)
        check_answers(json.loads(body), node.port)
        # A reload that adds an endpoint: the document follows.
        write_config(directory, db, extra=EXTRA_ENDPOINT)
        node.proc.send_signal(signal.SIGHUP)

        def has_new_path():
            s, _, b = request(node.port, "GET", "/_shoal/openapi.json")
            return s == 200 and "/v1/reviews/{id}" in json.loads(b)["paths"]

        wait_for(has_new_path, 15, "the reloaded document names /v1/reviews/{id}:\n" +
                 "".join(node.output))
        _, _, body = request(node.port, "GET", "/_shoal/openapi.json")
        validate(json.loads(body))
        print("ok: GET/HEAD/POST /_shoal/openapi.json is the command's document; a reload adds "
              "the new endpoint")
    finally:
        node.stop()

    hidden = write_config(directory, db, "hidden.yaml", http_extra="  openapi: false\n")
    node = Shoal(binary, hidden)
    try:
        status, _, body = request(node.port, "GET", "/_shoal/openapi.json")
        check(status == 404, "http.openapi false: %d" % status)
        check(json.loads(body) == {"error": "not found", "status": 404}, "404 body %r" % body)
    finally:
        node.stop()
    r = run_openapi(binary, "-c", hidden)
    check(r.returncode == 0, "the command with http.openapi false: %d" % r.returncode)
    print("ok: http.openapi: false hides the route (the command still prints)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoal", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-openapi-") as directory:
        db = os.path.join(directory, "catalog.db")
        make_db(db)
        config = write_config(directory, db)
        r = run_openapi(args.shoal, "-c", config)
        if r.returncode != 0:
            raise Failure("shoal openapi: exit %d\n%s" % (r.returncode, r.stderr.decode()))
        check_document(json.loads(r.stdout))
        check_command_errors(args.shoal, directory, db)
        check_served(args.shoal, directory, db, config, r.stdout)
    print("openapi_test: passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Failure, RuntimeError) as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
