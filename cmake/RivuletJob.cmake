# rivulet_add_job(TARGET [SOURCES] file.cc ...)
#
# Builds a job module: TARGET as a shared object libTARGET.so that
# `rivulet run --job-lib libTARGET.so JOB` (or RIVULET_JOB_PATH) loads. The
# sources register their jobs with RIVULET_REGISTER_JOB (rivulet/rivulet.h);
# rivulet_add_job adds the module's entry point and ABI stamp
# (module_entry.cc, see rivulet/jobs/module.h), defines RIVULET_JOB_MODULE
# and links Rivulet::rivulet, the librivulet the launcher itself uses.
# Link further libraries with target_link_libraries(TARGET PRIVATE ...).
function(rivulet_add_job target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES")
  set(sources ${arg_SOURCES} ${arg_UNPARSED_ARGUMENTS})
  if(NOT sources)
    message(FATAL_ERROR "rivulet_add_job(${target}): no SOURCES")
  endif()
  if(NOT RIVULET_MODULE_ENTRY OR NOT EXISTS "${RIVULET_MODULE_ENTRY}")
    message(FATAL_ERROR "rivulet_add_job: module_entry.cc not found (find_package(Rivulet) first)")
  endif()
  add_library(${target} MODULE ${sources} "${RIVULET_MODULE_ENTRY}")
  target_link_libraries(${target} PRIVATE Rivulet::rivulet)
  target_compile_definitions(${target} PRIVATE RIVULET_JOB_MODULE=1)
  # A symbol the module needs but nothing provides fails the build, not the
  # launcher's dlopen.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  set_target_properties(${target} PROPERTIES PREFIX "lib" SUFFIX ".so" CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
endfunction()
