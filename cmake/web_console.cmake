# The web console page (web/console, docs in README "The web console"):
# built with npm + esbuild and embedded in lucid_console by
# cmake/web_console_build.cmake. Sets LUCID_WEB_CONSOLE_SOURCE (the generated
# .cpp to add to the library) and LUCID_WEB_CONSOLE_BUILT.
option(LUCID_WEB_CONSOLE "Build the web console page into the console server (needs node and npm)" ON)
find_program(LUCID_NODE node)
find_program(LUCID_NPM npm)
set(_web_src ${PROJECT_SOURCE_DIR}/web/console)
set(LUCID_WEB_CONSOLE_SOURCE ${CMAKE_CURRENT_BINARY_DIR}/web_assets_data.cpp)
if(LUCID_WEB_CONSOLE AND LUCID_NODE AND LUCID_NPM)
  set(LUCID_WEB_CONSOLE_BUILT ON)
  file(GLOB _web_inputs CONFIGURE_DEPENDS ${_web_src}/src/*)
  add_custom_command(OUTPUT ${LUCID_WEB_CONSOLE_SOURCE}
    COMMAND ${CMAKE_COMMAND} -DSRC=${_web_src} -DOUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/web
            -DOUT=${LUCID_WEB_CONSOLE_SOURCE} -DNPM=${LUCID_NPM} -DNODE=${LUCID_NODE}
            -P ${PROJECT_SOURCE_DIR}/cmake/web_console_build.cmake
    DEPENDS ${_web_inputs} ${_web_src}/build.mjs ${_web_src}/package.json
            ${_web_src}/package-lock.json ${PROJECT_SOURCE_DIR}/cmake/web_console_build.cmake
    COMMENT "web console: npm ci (when needed), esbuild, embed"
    VERBATIM)
else()
  set(LUCID_WEB_CONSOLE_BUILT OFF)
  message(STATUS "lucid: the web console page is not built (node or npm not found, or "
                 "LUCID_WEB_CONSOLE=OFF); the console server's / says how to build it")
  execute_process(COMMAND ${CMAKE_COMMAND} -DEMPTY=ON -DOUT=${LUCID_WEB_CONSOLE_SOURCE}
                          -DOUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/web
                          -P ${PROJECT_SOURCE_DIR}/cmake/web_console_build.cmake)
endif()
set(LUCID_WEB_CONSOLE_BUILT ${LUCID_WEB_CONSOLE_BUILT} CACHE INTERNAL "the web console page is built")
