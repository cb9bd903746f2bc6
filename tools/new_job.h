// `rivulet new-job NAME DIR`: writes a job project that builds against the
// installed Rivulet (find_package(Rivulet), rivulet_add_job), with a test
// using the harness. The files are tools/new_job/*.in, compiled in by
// tools/CMakeLists.txt; @NAME@ and @VERSION@ are replaced.
#pragma once

#include <string>
#include <vector>

namespace rivulet::tools {

struct NewJobFile {
  const char* name;      // template name: "job.cc" is written as NAME.cc
  const char* contents;  // with @NAME@ and @VERSION@ placeholders
};

// The templates, in the order they are written.
const std::vector<NewJobFile>& NewJobFiles();

}  // namespace rivulet::tools
