# lucid as an installable package: `cmake --install` puts the headers, the
# module libraries, the tools and a CMake package in a prefix, so that
#   find_package(lucid CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE lucid::lucid)   # or lucid::rt, lucid::trace, ...
# works, and a pkg-config file (lucid.pc) for other build systems. The
# version is the project() version of the top CMakeLists.txt, nowhere else.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(_lucid_modules GLOBAL PROPERTY LUCID_MODULES)
install(TARGETS lucid lucid_options ${_lucid_modules}
  EXPORT lucidTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lucid DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(LUCID_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lucid)
install(EXPORT lucidTargets NAMESPACE lucid:: DESTINATION ${LUCID_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lucidConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lucidConfig.cmake INSTALL_DESTINATION ${LUCID_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lucidConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lucidConfig.cmake ${PROJECT_BINARY_DIR}/lucidConfigVersion.cmake
  DESTINATION ${LUCID_CMAKE_DIR})

# pkg-config: the static libraries top to bottom, the console whole (its
# detectors start from a static initializer).
set(LUCID_PC_DEFINES "")
if(LUCID_CHECK_THREADS STREQUAL "ON")
  set(LUCID_PC_DEFINES "-DLUCID_CHECK_THREADS=1")
elseif(LUCID_CHECK_THREADS STREQUAL "OFF")
  set(LUCID_PC_DEFINES "-DLUCID_CHECK_THREADS=0")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/lucid.pc.in ${PROJECT_BINARY_DIR}/lucid.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lucid.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The gdb extension, for `source` (lucid programs also carry it embedded, in
# a .debug_gdb_scripts section of lucid_rt; docs/debugging.md, "gdb").
install(FILES ${PROJECT_SOURCE_DIR}/tools/gdb/lucid_gdb.py DESTINATION ${CMAKE_INSTALL_DATADIR}/lucid/gdb)
