-- The catalog schema (../shared/workload/SPEC.md), as `shoal demo` writes it.
-- Create an empty catalog with: sqlite3 data/catalog.db < examples/catalog/schema.sql
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL,
  title TEXT NOT NULL,
  category TEXT NOT NULL,
  price_cents INTEGER NOT NULL,
  stock INTEGER NOT NULL,
  rating REAL,            -- NULL when unrated
  tags TEXT NOT NULL,     -- a JSON array of strings; served as JSON (json: [tags])
  updated_at TEXT NOT NULL  -- ISO-8601 UTC
);
CREATE TABLE reviews (
  item_id INTEGER NOT NULL,
  review_id INTEGER NOT NULL,
  author TEXT NOT NULL,
  stars INTEGER NOT NULL,  -- 1..5
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (item_id, review_id)
);
CREATE INDEX items_category_id ON items (category, id);
