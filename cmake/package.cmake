# The Debian package (make package): what `cpack` puts in the .deb and where, its control
# fields and maintainer scripts (packaging/debian/). Built from the release preset:
#   cmake --preset release && cmake --build --preset release --target shoal shoal_package_files
#   (cd build/release && cpack)   ->   build/release/shoal_VERSION-1_ARCH.deb
# tests/package_test.sh checks it (make test-package; ctest label `package`, registered only
# with -DSHOAL_PACKAGE_TEST=ON so that no other preset's ctest looks for a .deb).
set(SHOAL_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)

# Debian wants the man page and the changelog gzipped with -9n (no name, no time stamp).
set(SHOAL_MAN_GZ ${CMAKE_BINARY_DIR}/package/shoal.1.gz)
set(SHOAL_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/package/changelog.Debian.gz)
add_custom_command(OUTPUT ${SHOAL_MAN_GZ} ${SHOAL_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/package
  COMMAND sh -c "gzip -9n -c '${PROJECT_SOURCE_DIR}/docs/shoal.1' > '${SHOAL_MAN_GZ}'"
  COMMAND sh -c "gzip -9n -c '${SHOAL_PKG_DIR}/debian/changelog' > '${SHOAL_CHANGELOG_GZ}'"
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/shoal.1 ${SHOAL_PKG_DIR}/debian/changelog VERBATIM)
add_custom_target(shoal_package_files DEPENDS ${SHOAL_MAN_GZ} ${SHOAL_CHANGELOG_GZ})

set(SHOAL_FILE_MODE OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(TARGETS shoal RUNTIME DESTINATION bin)
install(FILES ${SHOAL_MAN_GZ} DESTINATION share/man/man1 PERMISSIONS ${SHOAL_FILE_MODE})
install(FILES ${SHOAL_PKG_DIR}/debian/copyright ${SHOAL_CHANGELOG_GZ}
        DESTINATION share/doc/shoal PERMISSIONS ${SHOAL_FILE_MODE})
# Absolute destinations: outside the /usr prefix.
install(FILES ${SHOAL_PKG_DIR}/shoal.yaml DESTINATION /etc/shoal PERMISSIONS ${SHOAL_FILE_MODE})
install(FILES ${SHOAL_PKG_DIR}/shoal.service DESTINATION /lib/systemd/system
        PERMISSIONS ${SHOAL_FILE_MODE})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shoal)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_PACKAGE_CONTACT "shoal developers <dev@shoal.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "read-through cache serving JSON HTTP APIs from a database")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "shoal serves the JSON endpoints a YAML file declares (a route, a\n\
parameterised query and a lifetime each) from SQLite or Apache Cassandra,\n\
answering from memory when it can and asking the database once per key on\n\
a miss. Several nodes form a cluster in which each key has one owner. The\n\
package runs it as a systemd service.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/shoal/shoal")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${SHOAL_PKG_DIR}/debian/postinst
    ${SHOAL_PKG_DIR}/debian/prerm ${SHOAL_PKG_DIR}/debian/postrm ${SHOAL_PKG_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)

option(SHOAL_PACKAGE_TEST "Register the .deb's test (label package; make test-package)" OFF)
if(SHOAL_PACKAGE_TEST)
  enable_testing()
  add_test(NAME package_deb
           COMMAND ${PROJECT_SOURCE_DIR}/tests/package_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(package_deb PROPERTIES LABELS package TIMEOUT 300)
endif()
