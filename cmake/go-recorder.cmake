# The real Go 1.19 map as a C library: tools/go-recorder built as a C
# archive (libgorec.a, with libgorec.h declaring TophashGoRecord), as the
# interface library tophash_gorec. What links it runs the Go runtime in
# its own process: the go_layout fuzz targets (fuzz/go/) and the property
# that steps a Go map beside BucketMap (properties/go/).
#
# Included by the top-level CMakeLists.txt in every build. It needs Go 1.19
# on amd64: TOPHASH_GO, else the go of /usr/lib/go-1.19/bin (Debian's
# golang-1.19-go), else one on PATH. Without it, and under ThreadSanitizer
# (Go's runtime is not built for it), it defines nothing and says so; what
# needs the archive checks `if(TARGET tophash_gorec)`.

set(TOPHASH_GO "" CACHE FILEPATH "the go command of Go 1.19 (default: found on PATH or in /usr/lib/go-1.19/bin)")

# Sets go_cmd, go_version and go_arch in the caller's scope.
function(tophash_find_go)
  set(cmd ${TOPHASH_GO})
  if(NOT cmd)
    find_program(TOPHASH_GO_FOUND NAMES go PATHS /usr/lib/go-1.19/bin NO_DEFAULT_PATH)
    if(NOT TOPHASH_GO_FOUND)
      find_program(TOPHASH_GO_FOUND NAMES go go1.19)
    endif()
    set(cmd ${TOPHASH_GO_FOUND})
  endif()
  set(version "")
  set(arch "")
  if(cmd)
    execute_process(COMMAND ${cmd} env GOVERSION GOARCH OUTPUT_VARIABLE env
                    OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
    string(REPLACE "\n" ";" env "${env}")
    list(LENGTH env n)
    if(rc EQUAL 0 AND n EQUAL 2)
      list(GET env 0 version)
      list(GET env 1 arch)
    endif()
  endif()
  set(go_cmd "${cmd}" PARENT_SCOPE)
  set(go_version "${version}" PARENT_SCOPE)
  set(go_arch "${arch}" PARENT_SCOPE)
endfunction()

# Defines tophash_gorec (and the custom target that builds the archive).
# The archive is rebuilt when a Go source of the recorder (or of
# tools/gomap, which it uses) changes; Go's build cache and module path
# live in the build directory (build/<preset>/go); no network.
function(tophash_add_gorec go_cmd)
  set(rec_dir ${PROJECT_SOURCE_DIR}/tools/go-recorder)
  file(GLOB_RECURSE go_sources CONFIGURE_DEPENDS
       ${rec_dir}/*.go ${rec_dir}/*.s ${rec_dir}/go.mod ${PROJECT_SOURCE_DIR}/tools/gomap/*.go
       ${PROJECT_SOURCE_DIR}/tools/gomap/go.mod)
  list(FILTER go_sources EXCLUDE REGEX "_test\\.go$")
  set(go_work ${CMAKE_BINARY_DIR}/go)
  set(gorec_dir ${go_work}/gorec)
  add_custom_command(
    OUTPUT ${gorec_dir}/libgorec.a ${gorec_dir}/libgorec.h
    COMMAND ${CMAKE_COMMAND} -E env GOCACHE=${go_work}/cache GOPATH=${go_work}/path GOPROXY=off GOFLAGS=-mod=mod
            GOTOOLCHAIN=local CGO_ENABLED=1 ${go_cmd} build -buildmode=c-archive -trimpath -o ${gorec_dir}/libgorec.a .
    WORKING_DIRECTORY ${rec_dir}
    DEPENDS ${go_sources}
    COMMENT "Building the Go recorder as a C archive (libgorec.a)"
    VERBATIM)
  add_custom_target(tophash_gorec_archive DEPENDS ${gorec_dir}/libgorec.a ${gorec_dir}/libgorec.h)

  # What a C++ target links to call TophashGoRecord (the Go runtime starts
  # with the program and needs threads).
  find_package(Threads REQUIRED)
  add_library(tophash_gorec INTERFACE)
  add_dependencies(tophash_gorec tophash_gorec_archive)
  target_include_directories(tophash_gorec INTERFACE ${gorec_dir})
  target_link_libraries(tophash_gorec INTERFACE ${gorec_dir}/libgorec.a Threads::Threads ${CMAKE_DL_LIBS})
endfunction()

tophash_find_go()
if(TOPHASH_SANITIZE STREQUAL "tsan")
  message(STATUS "go recorder: left out under ThreadSanitizer (go_layout targets and properties_go skipped)")
elseif(NOT go_version MATCHES "^go1\\.19(\\.|$)" OR NOT go_arch STREQUAL "amd64")
  message(STATUS "go recorder: skipped, with the go_layout targets and properties_go: needs Go 1.19 on amd64 "
                 "(found: '${go_cmd}' ${go_version} ${go_arch}); set TOPHASH_GO to its go command (Debian: golang-1.19-go)")
else()
  message(STATUS "go recorder: Go ${go_version} at ${go_cmd}")
  tophash_add_gorec(${go_cmd})
endif()
