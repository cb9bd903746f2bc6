// Loading job modules; see jobs/module.h.
#include "jobs/module.h"

#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>

namespace rivulet::jobs {
namespace {

Status Bad(const std::string& path, const std::string& why) {
  return Status(Errc::kInvalidArgument, "job module " + path + ": " + why);
}

// The libraries a 64-bit little-endian ELF file needs (DT_NEEDED, from its
// dynamic section, found by the section headers). Empty for anything else
// (dlopen says what is wrong with it) or a file without section headers.
std::vector<std::string> NeededLibraries(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> needed;
  Elf64_Ehdr eh;
  if (data.size() < sizeof(eh)) return needed;
  std::memcpy(&eh, data.data(), sizeof(eh));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr) ||
      eh.e_shoff > data.size() || eh.e_shnum > (data.size() - eh.e_shoff) / sizeof(Elf64_Shdr)) {
    return needed;
  }
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, data.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
    return sh;
  };
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    const Elf64_Shdr dyn = section(i);
    if (dyn.sh_type != SHT_DYNAMIC || dyn.sh_link >= eh.e_shnum) continue;
    const Elf64_Shdr str = section(dyn.sh_link);
    if (dyn.sh_offset > data.size() || dyn.sh_size > data.size() - dyn.sh_offset || str.sh_offset > data.size() ||
        str.sh_size > data.size() - str.sh_offset) {
      continue;
    }
    for (size_t off = 0; off + sizeof(Elf64_Dyn) <= dyn.sh_size; off += sizeof(Elf64_Dyn)) {
      Elf64_Dyn d;
      std::memcpy(&d, data.data() + dyn.sh_offset + off, sizeof(d));
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag != DT_NEEDED || d.d_un.d_val >= str.sh_size) continue;
      const char* name = data.data() + str.sh_offset + d.d_un.d_val;
      needed.emplace_back(name, strnlen(name, str.sh_size - d.d_un.d_val));
    }
  }
  return needed;
}

// This launcher's librivulet SONAME.
std::string OwnSoname() {
  return "librivulet.so." + std::to_string(RIVULET_VERSION_MAJOR) + "." + std::to_string(RIVULET_VERSION_MINOR);
}

}  // namespace

const char* AbiStamp() { return RIVULET_ABI_STAMP; }

Status LoadModule(const std::string& path) {
  static std::mutex mu;
  static auto* loaded = new std::set<std::string>();
  std::lock_guard<std::mutex> lock(mu);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Bad(path, std::filesystem::exists(path, ec) ? "not a file" : "no such file");
  }
  const std::string canonical = std::filesystem::canonical(path, ec).string();
  if (loaded->count(canonical) > 0) return Status::Ok();
  // Before dlopen: a module linked to another librivulet would load that
  // second copy (its registry, loggers, protobuf descriptors) with it.
  for (const std::string& lib : NeededLibraries(path)) {
    if (lib.rfind("librivulet.so", 0) == 0 && lib != OwnSoname()) {
      return Bad(path, "built against another Rivulet (it needs " + lib + "; this launcher is " + RIVULET_VERSION +
                           " with " + OwnSoname() + "): rebuild the module against this Rivulet");
    }
  }
  // dlopen searches the library path for a name without a slash.
  const std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  SetLoadingModule(path);
  void* handle = ::dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  SetLoadingModule("");
  RIVULET_RETURN_IF_ERROR(RegistryStatus());
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return Bad(path, std::string("not a loadable shared object (") + (err ? err : "dlopen failed") + ")");
  }
  ::dlerror();
  auto abi = reinterpret_cast<const char* (*)()>(::dlsym(handle, "rivulet_module_abi"));
  if (abi == nullptr) {
    return Bad(path, "not a Rivulet job module (no rivulet_module_abi; build it with rivulet_add_job)");
  }
  const std::string stamp = abi();
  if (stamp != AbiStamp()) {
    return Bad(path, "built against another Rivulet or C++ ABI (" + stamp + "); this launcher is " + AbiStamp() +
                         ": rebuild the module against this Rivulet");
  }
  auto entry = reinterpret_cast<const std::vector<JobInfo>* (*)()>(::dlsym(handle, "rivulet_module_jobs"));
  if (entry == nullptr) return Bad(path, "no entry point rivulet_module_jobs (build it with rivulet_add_job)");
  const std::vector<JobInfo>* jobs = entry();
  if (jobs == nullptr || jobs->empty()) return Bad(path, "registers no job (RIVULET_REGISTER_JOB)");
  RIVULET_RETURN_IF_ERROR(RegisterModuleJobs(path, *jobs));
  loaded->insert(canonical);
  return Status::Ok();  // never dlclose: the jobs' code must stay mapped
}

Status LoadModulesFromPath(const std::string& path_list) {
  std::stringstream in(path_list);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status(Errc::kInvalidArgument, "RIVULET_JOB_PATH: " + dir + " is not a directory");
    }
    std::vector<std::string> files;
    std::filesystem::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::error_code file_ec;  // a dangling link is no module, and no error of the directory
      if (it->path().extension() == ".so" && it->is_regular_file(file_ec)) files.push_back(it->path().string());
    }
    if (ec) return Status(Errc::kIoError, "RIVULET_JOB_PATH: cannot read " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) RIVULET_RETURN_IF_ERROR(LoadModule(f));
  }
  return Status::Ok();
}

}  // namespace rivulet::jobs
