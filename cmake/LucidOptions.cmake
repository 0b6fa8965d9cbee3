# Warning, sanitizer and helper settings shared by every lucid target.

# Installed with lucid as lucid::options: what a program using lucid must
# share with it (C++20, sanitizer flags, the LUCID_CHECK_THREADS setting,
# which is part of the ABI) travels to it; lucid's own warning flags stay in
# lucid's build ($<BUILD_INTERFACE:...>).
add_library(lucid_options INTERFACE)
set_target_properties(lucid_options PROPERTIES EXPORT_NAME options)
target_compile_features(lucid_options INTERFACE cxx_std_20)
target_compile_options(lucid_options INTERFACE
  $<BUILD_INTERFACE:-Wall -Wextra -Wno-missing-field-initializers>)
if(LUCID_WERROR)
  target_compile_options(lucid_options INTERFACE $<BUILD_INTERFACE:-Werror>)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # Keep throw paths in place: GCC's .cold split gives them wrong line
  # numbers, and panic reports name the line an exception was thrown at.
  target_compile_options(lucid_options INTERFACE $<BUILD_INTERFACE:-fno-reorder-blocks-and-partition>)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Clang 14 warns on GCC-only attributes we do not use; keep it quiet on
  # unknown warning options so the same flags work for both compilers.
  target_compile_options(lucid_options INTERFACE $<BUILD_INTERFACE:-Wno-unknown-warning-option>)
endif()

if(LUCID_SANITIZE STREQUAL "address")
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(lucid_options INTERFACE ${_san})
  target_link_options(lucid_options INTERFACE ${_san})
  target_compile_definitions(lucid_options INTERFACE LUCID_SANITIZER_ADDRESS=1)
elseif(LUCID_SANITIZE STREQUAL "thread")
  set(_san -fsanitize=thread -fno-omit-frame-pointer)
  target_compile_options(lucid_options INTERFACE ${_san})
  target_link_options(lucid_options INTERFACE ${_san})
  target_compile_definitions(lucid_options INTERFACE LUCID_SANITIZER_THREAD=1)
elseif(NOT LUCID_SANITIZE STREQUAL "")
  message(FATAL_ERROR "LUCID_SANITIZE must be '', 'address' or 'thread', not '${LUCID_SANITIZE}'")
endif()

# LUCID_CHECK_THREADS (include/lucid/rt/detail/check_threads.hpp): ON/OFF
# define it for every target that links lucid; AUTO leaves it to the header
# (on unless NDEBUG, or under a sanitizer).
if(LUCID_CHECK_THREADS STREQUAL "ON")
  target_compile_definitions(lucid_options INTERFACE LUCID_CHECK_THREADS=1)
elseif(LUCID_CHECK_THREADS STREQUAL "OFF")
  target_compile_definitions(lucid_options INTERFACE LUCID_CHECK_THREADS=0)
elseif(NOT LUCID_CHECK_THREADS STREQUAL "AUTO" AND NOT LUCID_CHECK_THREADS STREQUAL "")
  message(FATAL_ERROR "LUCID_CHECK_THREADS must be AUTO, ON or OFF, not '${LUCID_CHECK_THREADS}'")
endif()

# lucid_module(NAME [DIR dir] SOURCES... DEPS ...): one module = one library
# target lucid_<NAME> with public headers under include/ and private ones
# beside its sources. The target sees privately only its own source folder,
# src/<NAME> (or DIR, relative to the calling CMakeLists.txt), so a private
# include reads `#include "scheduler.hpp"` and another module's private
# headers are out of reach.
function(lucid_module name)
  cmake_parse_arguments(M "" "DIR" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(M_DIR)
    set(_private ${CMAKE_CURRENT_SOURCE_DIR}/${M_DIR})
  else()
    set(_private ${PROJECT_SOURCE_DIR}/src/${name})
  endif()
  add_library(lucid_${name} STATIC ${M_SOURCES})
  add_library(lucid::${name} ALIAS lucid_${name})
  # Installed as lucid::<name> too (cmake/LucidPackage.cmake).
  set_target_properties(lucid_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(lucid_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${_private})
  target_link_libraries(lucid_${name} PUBLIC lucid_options ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  set_property(GLOBAL APPEND PROPERTY LUCID_MODULES lucid_${name})
endfunction()
