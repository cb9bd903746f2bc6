# Installing and packaging Rivulet (included from the top-level
# CMakeLists.txt once every target exists):
#
#   cmake --install build [--prefix P]   (DESTDIR=... stages it)
#     P/bin/rivulet                      the launcher (RUNPATH $ORIGIN/../lib)
#     P/lib/librivulet.so.X.Y.Z          SONAME librivulet.so.X.Y
#     P/include/rivulet/                 public headers (the closure of
#                                        include/rivulet/*.h, rewritten)
#     P/lib/cmake/Rivulet/               find_package(Rivulet), rivulet_add_job
#     P/lib/pkgconfig/rivulet.pc
#     P/share/doc/rivulet/               the guides
#   cpack -G DEB (in the build folder)   rivulet_*.deb and rivulet-dev_*.deb
#
# Components: runtime (the launcher and the library: package rivulet) and
# dev (headers, CMake package, pkg-config, the library's namelink: package
# rivulet-dev).
include(CMakePackageConfigHelpers)

set(RIVULET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Rivulet)
set(RIVULET_SDK_INCLUDE ${CMAKE_BINARY_DIR}/sdk/include)

# The public include tree, rebuilt when a header changes.
file(GLOB_RECURSE rivulet_all_headers CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/base/*.h ${CMAKE_SOURCE_DIR}/engine/*.h ${CMAKE_SOURCE_DIR}/operators/*.h
     ${CMAKE_SOURCE_DIR}/connectors/*.h ${CMAKE_SOURCE_DIR}/jobs/*.h ${CMAKE_SOURCE_DIR}/log/*.h
     ${CMAKE_SOURCE_DIR}/testing/*.h ${CMAKE_SOURCE_DIR}/include/*.h)
file(GLOB rivulet_umbrellas CONFIGURE_DEPENDS RELATIVE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/include/rivulet/*.h)
# What stays private even if a public header wanted it: the broker, the tools.
# The log's internals (everything of log/ but its client API: log_manager.h,
# producer.h, consumer.h, types.h, options.h, record_reader.h), the broker,
# the tools.
set(RIVULET_PRIVATE_HEADERS
    "^log/kafka/|^log/(partition|segment|segment_index|producer_state|compression|record_batch|txn_coordinator|group_coordinator|consumer_protocol|topic_config|varint|wire|murmur2)\\.h$|^tools/|^bench/|^tests/")
string(REPLACE ";" "," rivulet_umbrellas "${rivulet_umbrellas}")
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/sdk/headers.stamp
  COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR} -DBIN=${CMAKE_BINARY_DIR} -DOUT=${RIVULET_SDK_INCLUDE}
          "-DENTRIES=${rivulet_umbrellas}" "-DPRIVATE=${RIVULET_PRIVATE_HEADERS}"
          -DENTRY_SOURCE=${CMAKE_SOURCE_DIR}/jobs/module_entry.cc -DENTRY_OUT=${CMAKE_BINARY_DIR}/sdk/module_entry.cc
          -DSTAMP=${CMAKE_BINARY_DIR}/sdk/headers.stamp -P ${CMAKE_SOURCE_DIR}/cmake/PublicHeaders.cmake
  DEPENDS ${rivulet_all_headers} ${CMAKE_SOURCE_DIR}/jobs/module_entry.cc ${CMAKE_SOURCE_DIR}/cmake/PublicHeaders.cmake
          ${CMAKE_BINARY_DIR}/base/version.h
  COMMENT "Collecting the public headers"
  VERBATIM)
add_custom_target(rivulet_sdk_headers ALL DEPENDS ${CMAKE_BINARY_DIR}/sdk/headers.stamp)

# In the tree, rivulet_add_job builds modules from the source's entry point.
set(RIVULET_MODULE_ENTRY ${CMAKE_SOURCE_DIR}/jobs/module_entry.cc)
include(${CMAKE_SOURCE_DIR}/cmake/RivuletJob.cmake)

set_target_properties(rivulet PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS rivulet RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS rivulet_lib EXPORT RivuletTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(DIRECTORY ${RIVULET_SDK_INCLUDE}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT RivuletTargets NAMESPACE Rivulet:: DESTINATION ${RIVULET_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/RivuletConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/sdk/RivuletConfig.cmake
                              INSTALL_DESTINATION ${RIVULET_CMAKE_DIR}
                              PATH_VARS CMAKE_INSTALL_BINDIR)
# 0.x: a minor release may break the API, so only the same minor matches.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/sdk/RivuletConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/sdk/RivuletConfig.cmake ${CMAKE_BINARY_DIR}/sdk/RivuletConfigVersion.cmake
              ${CMAKE_SOURCE_DIR}/cmake/RivuletJob.cmake ${CMAKE_BINARY_DIR}/sdk/module_entry.cc
        DESTINATION ${RIVULET_CMAKE_DIR} COMPONENT dev)
file(RELATIVE_PATH RIVULET_PC_PREFIX ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${CMAKE_SOURCE_DIR}/cmake/rivulet.pc.in ${CMAKE_BINARY_DIR}/sdk/rivulet.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/sdk/rivulet.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/guide DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

# Debian packages: cpack -G DEB in the build folder.
set(CPACK_PACKAGE_NAME rivulet)
set(CPACK_PACKAGE_VENDOR "Rivulet")
set(CPACK_PACKAGE_CONTACT "Rivulet developers <rivulet@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Stream processing: a partitioned log, a Kafka-protocol broker and a dataflow runtime")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME rivulet)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
# The runtime's library dependencies, read off the binaries (dpkg-shlibdeps).
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME rivulet-dev)
# What the public headers include, and what a job project needs to build.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "rivulet (= ${PROJECT_VERSION}), g++ (>= 4:12), cmake (>= 3.25), pkg-config, libprotobuf-dev, libspdlog-dev, libfmt-dev, nlohmann-json3-dev, libabsl-dev, libboost-dev, libgtest-dev")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "the rivulet launcher, broker and tools, and librivulet")
set(CPACK_COMPONENT_DEV_DESCRIPTION "headers, CMake package and pkg-config file to build Rivulet jobs")
include(CPack)
