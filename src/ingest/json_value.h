// JSON values as the loads read them (the JSONL source and the Solr source): parsed with every
// number exact, and turned into store values or into text.
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/status.h"
#include "store/store.h"

namespace shoal::ingest {

// ParseExactJson parses `text` (one JSON value, nothing after it but white space) into *doc
// (with the document's own allocator). Every number is parsed once from its text, correctly
// rounded (base/numbers.h; RapidJSON's own parsing reads about one double in ten written by
// Python's repr 1-2 ULP off), "-0" stays the double -0.0, integers stay integers (int64, or
// uint64 above). InvalidArgument "not JSON: ..." with the byte where it stopped.
Status ParseExactJson(std::string_view text, rapidjson::Document* doc);

// JsonText renders a value as compact JSON (UTF-8 as it is, doubles in their shortest
// round-trip form).
std::string JsonText(const rapidjson::Value& v);

// ToValue maps a JSON value onto a store value: integers to int64, other numbers to double,
// strings to strings, true/false to 1/0, null to null, arrays and objects to their JSON text.
store::Value ToValue(const rapidjson::Value& v);

// ValueText is the value as text for a writer that parses text by the column's type (as a
// CSV field is): numbers in their exact decimal form (doubles shortest round-trip), strings
// as they are, true/false as 1/0, arrays and objects as their JSON text. Not for null.
std::string ValueText(const rapidjson::Value& v);

}  // namespace shoal::ingest
