# Builds the SDK's include tree: the public headers (ENTRIES and everything
# they include from the project, transitively) copied to OUT/rivulet/ with
# every project include rewritten to its installed name ("engine/graph.h"
# becomes "rivulet/engine/graph.h"), so a user's include path holds only
# PREFIX/include. A header matching PRIVATE in that closure is an error
# naming who includes it: the log's internals and the broker stay private.
# Also writes ENTRY_SOURCE (jobs/module_entry.cc) rewritten to ENTRY_OUT.
#
#   cmake -DSRC=.. -DBIN=.. -DOUT=.. -DENTRIES=a.h,b.h -DPRIVATE=regex
#         -DENTRY_SOURCE=.. -DENTRY_OUT=.. -DSTAMP=.. -P PublicHeaders.cmake
cmake_minimum_required(VERSION 3.25)

set(folders "base|engine|operators|connectors|jobs|log|proto|testing")

function(locate name out)
  foreach(root "${SRC}" "${SRC}/include" "${BIN}")
    if(EXISTS "${root}/${name}")
      set(${out} "${root}/${name}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

function(rewrite in out)
  file(READ "${in}" text)
  string(REGEX REPLACE "#include \"(${folders})/" "#include \"rivulet/\\1/" text "${text}")
  file(WRITE "${out}" "${text}")
endfunction()

file(REMOVE_RECURSE "${OUT}")
string(REPLACE "," ";" queue "${ENTRIES}")
set(seen "")
while(queue)
  list(POP_FRONT queue name)
  if(name IN_LIST seen)
    continue()
  endif()
  list(APPEND seen "${name}")
  locate("${name}" path)
  if(NOT path)
    message(FATAL_ERROR "public header ${name} (included by ${from_${name}}) not found")
  endif()
  if(name MATCHES "${PRIVATE}")
    message(FATAL_ERROR "${name} is private but the public header ${from_${name}} includes it")
  endif()
  if(name MATCHES "^rivulet/")
    set(dest "${OUT}/${name}")
  else()
    set(dest "${OUT}/rivulet/${name}")
  endif()
  rewrite("${path}" "${dest}")
  file(STRINGS "${path}" lines REGEX "^#include \"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" inc "${line}")
    if(NOT inc IN_LIST seen)
      list(APPEND queue "${inc}")
      set(from_${inc} "${name}")
    endif()
  endforeach()
endwhile()
rewrite("${ENTRY_SOURCE}" "${ENTRY_OUT}")
list(LENGTH seen n)
file(WRITE "${STAMP}" "${n} public headers\n")
