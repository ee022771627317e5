# The installable library: libemofuse.so (exports only emofuse.h's EF_API functions) and
# libemofuse.a, both holding the modules the classifier needs (not data, report,
# experiment), the public headers of emofuse.h, emofuse.pc and a CMake package
# (find_package(emofuse) -> emofuse::emofuse, emofuse::emofuse_static).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# emofuse.h's version macros must say what project() says.
file(STRINGS ${CMAKE_SOURCE_DIR}/include/emofuse/emofuse.h _ver REGEX "^#define EMOFUSE_VERSION_STRING ")
if(NOT _ver MATCHES "\"${PROJECT_VERSION}\"")
  message(FATAL_ERROR "include/emofuse/emofuse.h: EMOFUSE_VERSION_STRING is not ${PROJECT_VERSION}")
endif()

set(EMOFUSE_LIB_MODULES core io audio text nn eval pipeline)
set(_objs)
foreach(m ${EMOFUSE_LIB_MODULES})
  list(APPEND _objs $<TARGET_OBJECTS:emofuse_${m}_obj>)
endforeach()
set(_deps Threads::Threads m PkgConfig::JSONC PkgConfig::SNDFILE PkgConfig::SOXR PkgConfig::FFTW3F
    PkgConfig::UTF8PROC PkgConfig::OPENBLAS PkgConfig::CURL PkgConfig::CRYPTO PkgConfig::ZLIB)

add_library(emofuse_shared SHARED ${_objs})
target_link_libraries(emofuse_shared PRIVATE ${_deps})
target_link_options(emofuse_shared PRIVATE -Wl,--no-undefined)
set_target_properties(emofuse_shared PROPERTIES OUTPUT_NAME emofuse VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR})
add_library(emofuse_static STATIC ${_objs})
set_target_properties(emofuse_static PROPERTIES OUTPUT_NAME emofuse)

install(TARGETS emofuse_shared emofuse_static
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/emofuse/emofuse.h include/emofuse/status.h include/emofuse/export.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/emofuse)

# Relocatable: both files find the prefix from where they are installed, so
# `cmake --install build --prefix P` works for any P.
string(REGEX REPLACE "[^/]+" ".." EMOFUSE_PC_UP "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(cmake/emofuse.pc.in ${CMAKE_BINARY_DIR}/emofuse.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/emofuse.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
string(REGEX REPLACE "[^/]+" ".." EMOFUSE_CMAKE_UP "${CMAKE_INSTALL_LIBDIR}/cmake/emofuse")
configure_file(cmake/emofuseConfig.cmake.in ${CMAKE_BINARY_DIR}/emofuseConfig.cmake @ONLY)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/emofuseConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/emofuseConfig.cmake ${CMAKE_BINARY_DIR}/emofuseConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/emofuse)
install(TARGETS emofuse RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
