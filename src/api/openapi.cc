// OpenApiDocument: see openapi.h. Reads the compiled endpoints (router_internal.h) and writes
// the document with JsonWriter, in one pass.
#include "api/openapi.h"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/json_writer.h"
#include "api/percent_encoding.h"
#include "api/router_internal.h"
#include "base/numbers.h"

namespace shoal::api {
namespace {

using Compiled = Router::Compiled;

constexpr std::string_view kErrorRef = "#/components/schemas/Error";

// OpenApiPath is the route with its {name:int} / {name:string} segments written {name}.
std::string OpenApiPath(const Compiled& c) {
  std::string out;
  for (const Compiled::Segment& s : c.segments) {
    out += '/';
    if (s.param) {
      out += '{';
      out += c.params[s.index].name;
      out += '}';
    } else {
      out += s.literal;
    }
  }
  return out.empty() ? "/" : out;
}

// OperationId is "get" and the letters and digits of the OpenAPI path, words joined by '_',
// made unique by a number when two paths spell alike (/a-b and /a_b).
std::string OperationId(std::string_view path, std::set<std::string>* taken) {
  std::string id = "get";
  bool gap = true;
  for (char ch : path) {
    const bool word =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (word) {
      if (gap) id += '_';
      id += ch;
    }
    gap = !word;
  }
  std::string unique = id;
  for (int n = 2; !taken->insert(unique).second; ++n) unique = id + "_" + std::to_string(n);
  return unique;
}

void ParamSchema(JsonWriter& w, const Compiled::Param& p) {
  w.BeginObject();
  if (p.type == ParamType::kInt) {
    w.Key("type");
    w.String("integer");
    w.Key("format");
    w.String("int64");
    if (p.min) {
      w.Key("minimum");
      w.Int(*p.min);
    }
    if (p.max) {
      w.Key("maximum");
      w.Int(*p.max);
    }
    if (p.default_value) {
      if (const std::optional<int64_t> v = ParseInt64(*p.default_value)) {
        w.Key("default");
        w.Int(*v);
      }
    }
  } else {
    w.Key("type");
    w.String("string");
    if (p.min) {
      w.Key("minLength");
      w.Int(*p.min);
    }
    if (p.max) {
      w.Key("maxLength");
      w.Int(*p.max);
    }
    if (p.default_value) {
      w.Key("default");
      w.String(Decode(*p.default_value));
    }
  }
  w.EndObject();
}

void Parameters(JsonWriter& w, const Compiled& c) {
  w.Key("parameters");
  w.BeginArray();
  // Path parameters in route order, then the query's in name order (as the key lists them).
  std::vector<size_t> order;
  for (size_t i = 0; i < c.params.size(); ++i) {
    if (c.params[i].in_path) order.push_back(i);
  }
  order.insert(order.end(), c.query_params_sorted.begin(), c.query_params_sorted.end());
  for (size_t i : order) {
    const Compiled::Param& p = c.params[i];
    w.BeginObject();
    w.Key("name");
    w.String(p.name);
    w.Key("in");
    w.String(p.in_path ? "path" : "query");
    w.Key("required");
    w.Bool(p.in_path || !p.default_value);
    w.Key("schema");
    ParamSchema(w, p);
    w.EndObject();
  }
  w.EndArray();
}

std::string_view TypeName(store::ColumnType t) {
  switch (t) {
    case store::ColumnType::kInteger:
      return "integer";
    case store::ColumnType::kNumber:
      return "number";
    case store::ColumnType::kBoolean:
      return "boolean";
    case store::ColumnType::kArray:
      return "array";
    case store::ColumnType::kObject:
      return "object";
    case store::ColumnType::kAny:
      return "";
    case store::ColumnType::kString:
    case store::ColumnType::kBase64:
    case store::ColumnType::kUuid:
    case store::ColumnType::kDateTime:
    case store::ColumnType::kDate:
      return "string";
  }
  return "";
}

void ColumnSchema(JsonWriter& w, store::ColumnMeta meta, bool json) {
  w.BeginObject();
  const std::string_view type = json ? std::string_view() : TypeName(meta.type);
  if (json) {
    w.Key("description");
    w.String("JSON held by the column, embedded as is");
  }
  if (!type.empty()) {
    w.Key("type");
    if (meta.not_null) {
      w.String(type);
    } else {
      w.BeginArray();
      w.String(type);
      w.String("null");
      w.EndArray();
    }
    switch (meta.type) {
      case store::ColumnType::kBase64:
        w.Key("contentEncoding");
        w.String("base64");
        break;
      case store::ColumnType::kUuid:
        w.Key("format");
        w.String("uuid");
        break;
      case store::ColumnType::kDateTime:
        w.Key("format");
        w.String("date-time");
        break;
      case store::ColumnType::kDate:
        w.Key("format");
        w.String("date");
        break;
      default:
        break;
    }
  }
  w.EndObject();
}

void RowSchema(JsonWriter& w, const EndpointInfo& info) {
  w.BeginObject();
  w.Key("type");
  w.String("object");
  w.Key("properties");
  w.BeginObject();
  std::set<std::string_view> seen;  // a name twice in a query: described once
  std::vector<std::string_view> names;
  for (size_t i = 0; i < info.columns.size(); ++i) {
    if (!seen.insert(info.columns[i]).second) continue;
    names.push_back(info.columns[i]);
    w.Key(info.columns[i]);
    const store::ColumnMeta meta =
        i < info.column_meta.size() ? info.column_meta[i] : store::ColumnMeta{};
    ColumnSchema(w, meta, i < info.json_column.size() && info.json_column[i]);
  }
  w.EndObject();
  w.Key("required");
  w.BeginArray();
  for (std::string_view name : names) w.String(name);
  w.EndArray();
  w.Key("additionalProperties");
  w.Bool(false);
  w.EndObject();
}

// Header writes a header object: {"description": ..., "schema": {"type": type}}.
void Header(JsonWriter& w, std::string_view name, std::string_view description,
            std::string_view type) {
  w.Key(name);
  w.BeginObject();
  w.Key("description");
  w.String(description);
  w.Key("schema");
  w.BeginObject();
  w.Key("type");
  w.String(type);
  w.EndObject();
  w.EndObject();
}

void Ref(JsonWriter& w, std::string_view key, std::string_view ref) {
  w.Key(key);
  w.BeginObject();
  w.Key("$ref");
  w.String(ref);
  w.EndObject();
}

void Operation(JsonWriter& w, const Compiled& c, std::set<std::string>* ids) {
  const EndpointInfo& info = c.info;
  w.BeginObject();
  w.Key("operationId");
  w.String(OperationId(OpenApiPath(c), ids));
  w.Key("summary");
  w.String(info.route);
  w.Key("description");
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(info.ttl).count();
  w.String((info.result == ResultShape::kOne ? std::string("The first row of the query, ")
                                             : std::string("Every row of the query, ")) +
           "answered from shoal's cache; an answer stays fresh for " + std::to_string(ttl) +
           " ms.");
  Parameters(w, c);
  w.Key("responses");
  w.BeginObject();
  w.Key("200");
  w.BeginObject();
  w.Key("description");
  w.String(info.result == ResultShape::kOne ? "The row, as an object" : "The rows, as an array");
  w.Key("headers");
  w.BeginObject();
  Ref(w, "ETag", "#/components/headers/ETag");
  Ref(w, "Cache-Control", "#/components/headers/Cache-Control");
  Ref(w, "Age", "#/components/headers/Age");
  Ref(w, "Vary", "#/components/headers/Vary");
  w.EndObject();
  w.Key("content");
  w.BeginObject();
  w.Key("application/json");
  w.BeginObject();
  w.Key("schema");
  if (info.result == ResultShape::kOne) {
    RowSchema(w, info);
  } else {
    w.BeginObject();
    w.Key("type");
    w.String("array");
    w.Key("items");
    RowSchema(w, info);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
  Ref(w, "304", "#/components/responses/NotModified");
  Ref(w, "400", "#/components/responses/BadRequest");
  if (info.result == ResultShape::kOne) Ref(w, "404", "#/components/responses/NotFound");
  Ref(w, "500", "#/components/responses/InternalError");
  Ref(w, "503", "#/components/responses/Unavailable");
  w.EndObject();
  w.EndObject();
}

// ErrorResponse writes a component response with the JSON error body.
void ErrorResponse(JsonWriter& w, std::string_view name, std::string_view description,
                   bool retry_after) {
  w.Key(name);
  w.BeginObject();
  w.Key("description");
  w.String(description);
  if (retry_after) {
    w.Key("headers");
    w.BeginObject();
    Header(w, "Retry-After", "Seconds to wait before trying again", "integer");
    w.EndObject();
  }
  w.Key("content");
  w.BeginObject();
  w.Key("application/json");
  w.BeginObject();
  Ref(w, "schema", kErrorRef);
  w.EndObject();
  w.EndObject();
  w.EndObject();
}

void Components(JsonWriter& w) {
  w.Key("components");
  w.BeginObject();
  w.Key("schemas");
  w.BeginObject();
  w.Key("Error");
  w.BeginObject();
  w.Key("type");
  w.String("object");
  w.Key("properties");
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Key("type");
  w.String("string");
  w.EndObject();
  w.Key("status");
  w.BeginObject();
  w.Key("type");
  w.String("integer");
  w.EndObject();
  w.EndObject();
  w.Key("required");
  w.BeginArray();
  w.String("error");
  w.String("status");
  w.EndArray();
  w.EndObject();
  w.EndObject();

  w.Key("headers");
  w.BeginObject();
  Header(w, "ETag", "The answer's entity-tag, for If-None-Match", "string");
  Header(w, "Cache-Control", "max-age: how long the answer stays fresh, in seconds", "string");
  Header(w, "Age", "Seconds since the answer was loaded from the database", "integer");
  Header(w, "Vary", "Accept-Encoding: the answer may come gzip-encoded", "string");
  w.EndObject();

  w.Key("responses");
  w.BeginObject();
  w.Key("NotModified");
  w.BeginObject();
  w.Key("description");
  w.String("The answer has the entity-tag the request's If-None-Match names");
  w.Key("headers");
  w.BeginObject();
  Ref(w, "ETag", "#/components/headers/ETag");
  w.EndObject();
  w.EndObject();
  ErrorResponse(w, "BadRequest",
                "A parameter is missing, unknown, repeated, malformed or out of bounds", false);
  ErrorResponse(w, "NotFound", "No row matches", false);
  ErrorResponse(w, "InternalError", "The query failed; the operator's log says why", false);
  ErrorResponse(w, "Unavailable",
                "The database is unavailable, did not answer in time, or the node is overloaded "
                "or shutting down",
                true);
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string OpenApiDocument(const Router& router, std::string_view version) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("openapi");
  w.String("3.1.0");
  w.Key("info");
  w.BeginObject();
  w.Key("title");
  w.String("shoal");
  w.Key("version");
  w.String(version);
  w.Key("description");
  w.String(
      "The JSON endpoints this shoal serves, generated from its config and the database's "
      "column metadata.");
  w.EndObject();
  w.Key("paths");
  w.BeginObject();
  std::set<std::string> ids;
  for (size_t i = 0; i < router.endpoint_count(); ++i) {
    const Compiled& c = router.compiled(i);
    w.Key(OpenApiPath(c));
    w.BeginObject();
    w.Key("get");
    Operation(w, c, &ids);
    w.EndObject();
  }
  w.EndObject();
  Components(w);
  w.EndObject();
  return out;
}

}  // namespace shoal::api
