// CatalogSuite: a GoogleTest fixture base for process tests that share one demo catalog.
//
// The catalog (MakeCatalog, kItems items) is written once per test suite into a temporary
// directory that lives until the suite ends; tests write their configs into the same
// directory. Derive with the item count: `class ServeTest : public CatalogSuite<2000> {}`.
// Thread-compatible: the suite's static state is set up before and torn down after its tests.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "catalog_db.h"
#include "shoal_process.h"

namespace shoal::testing {

template <int kItems>
class CatalogSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    db_ = dir_->File("catalog.db");
    Status s = MakeCatalog(db_, kItems);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  inline static TempDir* dir_ = nullptr;
  inline static std::string db_;
};

}  // namespace shoal::testing
