// `rivulet new-job NAME DIR`; see tools/new_job.h.
#include "tools/new_job.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "base/file.h"
#include "base/version.h"
#include "jobs/job.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// "job.cc" -> "NAME.cc", "job_test.cc" -> "NAME_test.cc"; others unchanged.
std::string FileName(const std::string& tmpl, const std::string& name) {
  if (tmpl.rfind("job", 0) == 0) return name + tmpl.substr(3);
  return tmpl;
}

// Where this launcher's Rivulet is installed: the prefix whose lib holds
// the CMake package, or empty when it runs from a build tree.
std::string InstallPrefix(const std::filesystem::path& exe) {
  const auto prefix = exe.parent_path().parent_path();
  std::error_code ec;
  if (std::filesystem::exists(prefix / RIVULET_INSTALL_LIBDIR / "cmake/Rivulet/RivuletConfig.cmake", ec)) {
    return prefix.string();
  }
  return "";
}

// Names a project cannot take: C++ keywords (the name is a namespace),
// CMake's reserved targets, and names its files would collide with.
bool Reserved(const std::string& name) {
  static const std::set<std::string> kReserved = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
      "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
      "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
      "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
      "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
      "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
      "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
      "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
      // CMake's own targets, and names a module's files must not take.
      "all", "clean", "help", "install", "package", "test", "std", "rivulet"};
  return kReserved.count(name) > 0;
}

Status NewJob(const std::string& name, const std::string& dir) {
  if (!std::regex_match(name, std::regex("[a-z][a-z0-9_]{0,63}"))) {
    return Status(Errc::kInvalidArgument,
                  "job name '" + name + "' must be a C++ identifier in lower case (a-z, 0-9, _; a letter first)");
  }
  if (Reserved(name)) {
    return Status(Errc::kInvalidArgument, "job name '" + name + "' is a C++ keyword or a name CMake or Rivulet uses");
  }
  if (jobs::FindJob(name).ok()) {
    return Status(Errc::kInvalidArgument,
                  "job name '" + name + "' is a built-in job's: the launcher would refuse the module");
  }
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return Status(Errc::kInvalidArgument, dir + " exists and is not empty: new-job writes a new project");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Errc::kIoError, "cannot create " + dir + ": " + ec.message());
  const std::string version = std::to_string(RIVULET_VERSION_MAJOR) + "." + std::to_string(RIVULET_VERSION_MINOR);
  for (const NewJobFile& f : NewJobFiles()) {
    std::string text = Replace(Replace(f.contents, "@NAME@", name), "@VERSION@", version);
    RIVULET_RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + FileName(f.name, name), text));
  }
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string prefix = ec ? "" : InstallPrefix(exe);
  const std::string rivulet = ec ? "rivulet" : exe.string();
  if (prefix.empty()) prefix = "<the prefix Rivulet is installed in: cmake --install build --prefix P>";
  std::printf("wrote job project %s in %s: build, test and run it with\n", name.c_str(), dir.c_str());
  std::printf("  cmake -S %s -B %s/build -DCMAKE_PREFIX_PATH=%s && cmake --build %s/build\n", dir.c_str(), dir.c_str(),
              prefix.c_str(), dir.c_str());
  std::printf("  ctest --test-dir %s/build\n", dir.c_str());
  std::printf("  %s run --job-lib %s/build/lib%s.so %s\n", rivulet.c_str(), dir.c_str(), name.c_str(), name.c_str());
  return Status::Ok();
}

}  // namespace

void AddNewJobCommand(CLI::App& app, Action* action) {
  auto name = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("new-job", "write a job project that builds against the installed Rivulet");
  cmd->add_option("name", *name, "job name (a lower-case C++ identifier)")->required();
  cmd->add_option("dir", *dir, "directory to write (new or empty)")->required();
  cmd->callback([action, name, dir] { *action = [name, dir] { return NewJob(*name, *dir); }; });
}

}  // namespace rivulet::tools
