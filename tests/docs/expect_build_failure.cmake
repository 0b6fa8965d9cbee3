# cmake -DBUILD_DIR=... -DTARGET=... -DGENERATOR=... -DEXPECT="a;b" -P expect_build_failure.cmake
# Builds TARGET, keeping going after errors, and succeeds only if the build
# fails and its output contains every string of EXPECT (file:line: of each
# broken code block).
if(GENERATOR MATCHES "Ninja")
  set(keep_going -- -k 0)
elseif(GENERATOR MATCHES "Makefiles")
  set(keep_going -- -k)
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET} -j 1 ${keep_going}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(rc EQUAL 0)
  message(FATAL_ERROR "building ${TARGET} succeeded, but its blocks are broken on purpose")
endif()
foreach(e IN LISTS EXPECT)
  string(FIND "${out}" "${e}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the failed build does not name '${e}'")
  endif()
endforeach()
message(STATUS "the broken blocks failed the build, named at: ${EXPECT}")
