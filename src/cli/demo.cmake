# The demo catalog generator (`shoal demo`) and its test. Included from src/cli/CMakeLists.txt;
# kept in its own file because it is owned apart from the rest of cli.
add_library(shoal_demo STATIC ${CMAKE_CURRENT_LIST_DIR}/demo_catalog.cc)
target_link_libraries(shoal_demo PUBLIC shoal_base PRIVATE SQLite::SQLite3 shoal_warnings)

shoal_test(demo_catalog_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/demo_catalog_test.cc
  LIBS shoal_demo SQLite::SQLite3)
