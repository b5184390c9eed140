// Tests for OpenApiDocument (openapi.h) over the test catalog in a real SqliteStore: the
// document parses, and its paths, parameters (types, bounds, defaults, required) and response
// schemas (column types and nullability from the store, json columns free-form, one vs many,
// 404 only for one) say exactly what the Router serves. The document's validity against the
// OpenAPI 3.1 schema is checked by tests/openapi_test.py with a real validator.
#include "api/openapi.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/test_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api {
namespace {

using testing::CatalogApiOptions;
using testing::TestCatalog;

// Json returns the compact JSON of the value at `pointer` in `doc`, or "(none)".
std::string Json(const rapidjson::Document& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  if (v == nullptr) return "(none)";
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v->Accept(writer);
  return buffer.GetString();
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(catalog_.error(), "");
    store_ = catalog_.OpenStore(/*threads=*/1, /*queue_limit=*/64);
    ASSERT_NE(store_, nullptr);
  }

  // Document builds the Router for `options` and parses its document into doc_.
  void Document(const ApiOptions& options) {
    auto router = Router::Build(options, *store_);
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    text_ = OpenApiDocument(**router, "1.2.3");
    doc_.Parse(text_.c_str());
    ASSERT_FALSE(doc_.HasParseError()) << text_;
  }

  std::string At(const char* pointer) const { return Json(doc_, pointer); }

  TestCatalog catalog_;
  std::unique_ptr<store::SqliteStore> store_;
  std::string text_;
  rapidjson::Document doc_;
};

TEST_F(OpenApiTest, Header) {
  Document(CatalogApiOptions());
  EXPECT_EQ(At("/openapi"), R"("3.1.0")");
  EXPECT_EQ(At("/info/title"), R"("shoal")");
  EXPECT_EQ(At("/info/version"), R"("1.2.3")");
  ASSERT_TRUE(doc_["paths"].IsObject());
  EXPECT_EQ(doc_["paths"].MemberCount(), 3u);
  EXPECT_EQ(At("/components/schemas/Error/required"), R"(["error","status"])");
}

TEST_F(OpenApiTest, PathsAndParameters) {
  Document(CatalogApiOptions());
  // {id:int} is written {id}, with an integer schema.
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}/get/parameters"),
            R"([{"name":"id","in":"path","required":true,)"
            R"("schema":{"type":"integer","format":"int64"}}])");
  // A query parameter with a default is optional; bounds and default as integers.
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}~1reviews/get/parameters/1"),
            R"({"name":"limit","in":"query","required":false,)"
            R"("schema":{"type":"integer","format":"int64","minimum":1,"maximum":50,)"
            R"("default":10}})");
  // A string path parameter gets http.max_string_param as its maxLength.
  EXPECT_EQ(At("/paths/~1v1~1categories~1{name}~1items/get/parameters/0"),
            R"({"name":"name","in":"path","required":true,)"
            R"("schema":{"type":"string","maxLength":256}})");
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}/get/operationId"), R"("get_v1_items_id")");
}

TEST_F(OpenApiTest, StringParameters) {
  ApiOptions o = CatalogApiOptions();
  o.max_string_param = 64;
  o.endpoints[2].params.push_back(ParamSpec{"name", ParamType::kString, {}, 2, 40, 33});
  o.endpoints[0].query += " AND (:q = '' OR title = :q) AND :tag = :tag";
  o.endpoints[0].params.push_back(ParamSpec{"q", ParamType::kString, "a b/é", 0, 12, 11});
  o.endpoints[0].params.push_back(ParamSpec{"tag", ParamType::kString, {}, {}, {}, 12});
  Document(o);
  EXPECT_EQ(At("/paths/~1v1~1categories~1{name}~1items/get/parameters/0/schema"),
            R"({"type":"string","minLength":2,"maxLength":40})");
  // Query parameters in name order; the default decoded (it is plain text in the config).
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}/get/parameters/1"),
            R"({"name":"q","in":"query","required":false,)"
            R"("schema":{"type":"string","minLength":0,"maxLength":12,"default":"a b/é"}})");
  // No default: required; no max: http.max_string_param.
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}/get/parameters/2"),
            R"({"name":"tag","in":"query","required":true,)"
            R"("schema":{"type":"string","maxLength":64}})");
}

TEST_F(OpenApiTest, ResultOneIsAnObjectOfTypedColumns) {
  Document(CatalogApiOptions());
  const std::string schema =
      "/paths/~1v1~1items~1{id}/get/responses/200/content/"
      "application~1json/schema";
  EXPECT_EQ(At((schema + "/type").c_str()), R"("object")");
  // The rowid and NOT NULL columns promise a value; rating may be NULL.
  EXPECT_EQ(At((schema + "/properties/id").c_str()), R"({"type":"integer"})");
  EXPECT_EQ(At((schema + "/properties/sku").c_str()), R"({"type":"string"})");
  EXPECT_EQ(At((schema + "/properties/rating").c_str()), R"({"type":["number","null"]})");
  // tags is a json column: free-form.
  EXPECT_EQ(At((schema + "/properties/tags").c_str()),
            R"({"description":"JSON held by the column, embedded as is"})");
  EXPECT_EQ(At((schema + "/required").c_str()),
            R"(["id","sku","title","category","price_cents","stock","rating","tags",)"
            R"("updated_at"])");
  EXPECT_EQ(At((schema + "/additionalProperties").c_str()), "false");
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}/get/responses/404/$ref"),
            R"("#/components/responses/NotFound")");
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}/get/responses/200/headers/ETag/$ref"),
            R"("#/components/headers/ETag")");
  EXPECT_EQ(At("/paths/~1v1~1items~1{id}/get/responses/304/$ref"),
            R"("#/components/responses/NotModified")");
}

TEST_F(OpenApiTest, ResultManyIsAnArrayAndHasNo404) {
  Document(CatalogApiOptions());
  const std::string path = "/paths/~1v1~1items~1{id}~1reviews/get/responses";
  EXPECT_EQ(At((path + "/200/content/application~1json/schema/type").c_str()), R"("array")");
  EXPECT_EQ(At((path + "/200/content/application~1json/schema/items/properties/stars").c_str()),
            R"({"type":"integer"})");
  EXPECT_EQ(At((path + "/404").c_str()), "(none)");
  EXPECT_EQ(At((path + "/400/$ref").c_str()), R"("#/components/responses/BadRequest")");
  EXPECT_EQ(At((path + "/503/$ref").c_str()), R"("#/components/responses/Unavailable")");
}

TEST_F(OpenApiTest, ComputedAndRepeatedColumns) {
  ApiOptions o = CatalogApiOptions();
  o.endpoints[0].query =
      "SELECT id, id, price_cents / 100.0 AS price, upper(title) AS title FROM items "
      "WHERE id = :id";
  o.endpoints[0].json_columns = {};
  Document(o);
  const std::string schema =
      "/paths/~1v1~1items~1{id}/get/responses/200/content/"
      "application~1json/schema";
  EXPECT_EQ(At((schema + "/properties").c_str()),
            R"({"id":{"type":"integer"},"price":{},"title":{}})");
  EXPECT_EQ(At((schema + "/required").c_str()), R"(["id","price","title"])");
}

// Two routes whose words are alike get distinct operationIds.
TEST_F(OpenApiTest, OperationIdsAreUnique) {
  ApiOptions o = CatalogApiOptions();
  o.endpoints.resize(1);
  o.endpoints.push_back(o.endpoints[0]);
  o.endpoints[0].route = "/v1/a-b/{id:int}";
  o.endpoints[1].route = "/v1/a_b/{id:int}";
  Document(o);
  EXPECT_EQ(At("/paths/~1v1~1a-b~1{id}/get/operationId"), R"("get_v1_a_b_id")");
  EXPECT_EQ(At("/paths/~1v1~1a_b~1{id}/get/operationId"), R"("get_v1_a_b_id_2")");
}

}  // namespace
}  // namespace shoal::api
