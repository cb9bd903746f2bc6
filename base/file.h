// Thin, move-only wrappers over POSIX files, and the atomic-replace recipe
// (write, fsync, rename, fsync the directory) used for all metadata.
// Every failure comes back as a Status naming the path and errno text.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rivulet {

// An open file descriptor. Move-only; closes on destruction.
class File {
 public:
  File() = default;
  File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~File();
  File(File&& o) noexcept;
  File& operator=(File&& o) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Opens `path` with open(2) flags (O_CLOEXEC is added), mode 0644.
  static Result<File> Open(const std::string& path, int flags);

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Writes all of `data` at the current position; on a short write returns
  // kNoSpace (ENOSPC, EFBIG, EDQUOT) or kIoError. Bytes may be partly written.
  Status Append(std::span<const char> data);
  // Writes all of `data` at `offset` (pwrite).
  Status WriteAt(uint64_t offset, std::span<const char> data);
  // Reads up to out.size() bytes at `offset`; returns the count (short only at EOF).
  Result<size_t> ReadAt(uint64_t offset, std::span<char> out) const;
  Status Sync();      // fdatasync
  Status Truncate(uint64_t size);
  Result<uint64_t> Size() const;
  Status Close();

 private:
  int fd_ = -1;
  std::string path_;
};

// A read-only shared mapping of a file's first size() bytes (mmap). The
// mapping may run past the end of the file, so that a growing file needs no
// new mapping for each append; touching a page wholly past the end raises
// SIGBUS, so readers must stay below the size they know was written. It
// stays valid after the file is closed or unlinked; unmapped on destruction.
class MappedFile {
 public:
  static Result<std::shared_ptr<const MappedFile>> Map(const File& file, size_t length);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile(const char* data, size_t size) : data_(data), size_(size) {}
  const char* data_;
  size_t size_;
};

// Status for a failed syscall: "<what> <path>: <strerror(err)>", code from errno.
Status ErrnoStatus(std::string_view what, const std::string& path, int err);

// Replaces `path` with `data` atomically and durably: writes path.tmp, fsyncs
// it, renames it over path, fsyncs the directory.
Status WriteFileAtomic(const std::string& path, std::string_view data);
// Reads a whole file.
Result<std::string> ReadFileToString(const std::string& path);
// fsyncs a directory so that renames and creations in it are durable.
Status SyncDir(const std::string& dir);

}  // namespace rivulet
