// The file sink's in-progress, pending and output files (part_files.h).
#include "connectors/file/part_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <span>
#include <utility>

namespace rivulet::connectors {
namespace {

constexpr std::string_view kInProgress = ".inprogress";
constexpr std::string_view kPending = ".pending-";

// -1: missing; otherwise the file's size.
Result<int64_t> SizeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return int64_t{-1};
    return ErrnoStatus("stat", path, errno);
  }
  return static_cast<int64_t>(st.st_size);
}

Status Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("remove", path, errno);
  return Status::Ok();
}

}  // namespace

PartFiles::PartFiles(std::string path) : path_(std::move(path)) {
  const std::filesystem::path p(path_);
  dir_ = p.has_parent_path() ? p.parent_path().string() : std::string(".");
  name_ = p.filename().string();
}

std::string PartFiles::InProgressPath() const { return dir_ + "/." + name_ + std::string(kInProgress); }

std::string PartFiles::PendingPath(int64_t checkpoint) const {
  char id[24];
  std::snprintf(id, sizeof(id), "%020" PRId64, checkpoint);
  return dir_ + "/." + name_ + std::string(kPending) + id;
}

Status PartFiles::OpenOutput(bool truncate) {
  RIVULET_ASSIGN_OR_RETURN(output_, File::Open(path_, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0)));
  return Status::Ok();
}

Status PartFiles::Start() {
  RIVULET_RETURN_IF_ERROR(RemoveStale());
  RIVULET_RETURN_IF_ERROR(OpenOutput(/*truncate=*/true));
  RIVULET_RETURN_IF_ERROR(output_.Sync());
  state_ = FileSinkState{};
  return SyncDir(dir_);
}

Status PartFiles::Recover(const FileSinkState& state) {
  RIVULET_RETURN_IF_ERROR(OpenOutput(/*truncate=*/false));
  RIVULET_ASSIGN_OR_RETURN(uint64_t size, output_.Size());
  const auto have = static_cast<int64_t>(size);
  if (have < state.committed()) {
    return Status(Errc::kCorruption, path_ + ": " + std::to_string(have) + " bytes, shorter than the " +
                                         std::to_string(state.committed()) +
                                         " bytes the checkpoint saw committed: the file was truncated or replaced");
  }
  int64_t expect = state.committed();
  for (const FilePart& part : state.parts) {
    if (part.offset != expect || part.length < 0) {
      return Status(Errc::kCorruption, path_ + ": the checkpoint's pending parts do not follow each other (part of " +
                                           "checkpoint " + std::to_string(part.checkpoint) + ")");
    }
    expect += part.length;
    const std::string pending = PendingPath(part.checkpoint);
    RIVULET_ASSIGN_OR_RETURN(int64_t pending_size, SizeOf(pending));
    if (pending_size < 0) {
      // Committed already (the pending file is removed only after the
      // output holds its bytes durably), unless the output lacks them.
      if (have < part.offset + part.length) {
        return Status(Errc::kCorruption, pending + ": missing, and " + path_ + " holds " + std::to_string(have) +
                                             " bytes, not the " + std::to_string(part.offset + part.length) +
                                             " its commit would have left");
      }
      continue;
    }
    if (pending_size < part.length) {
      return Status(Errc::kCorruption, pending + ": " + std::to_string(pending_size) + " bytes, the checkpoint recorded " +
                                           std::to_string(part.length));
    }
    RIVULET_RETURN_IF_ERROR(CommitPart(part));
  }
  if (expect != state.end) {
    return Status(Errc::kCorruption, path_ + ": the checkpoint's parts end at " + std::to_string(expect) +
                                         ", its output at " + std::to_string(state.end));
  }
  // Past the recorded end: parts of later checkpoints (an older checkpoint
  // restored), whose records the restored job writes again.
  RIVULET_RETURN_IF_ERROR(output_.Truncate(static_cast<uint64_t>(state.end)));
  RIVULET_RETURN_IF_ERROR(output_.Sync());
  RIVULET_RETURN_IF_ERROR(RemoveStale());
  state_ = FileSinkState{state.end, {}};
  return SyncDir(dir_);
}

Status PartFiles::Write(std::string_view bytes) {
  if (!in_progress_.is_open()) {
    RIVULET_ASSIGN_OR_RETURN(in_progress_, File::Open(InProgressPath(), O_WRONLY | O_CREAT | O_TRUNC));
    in_progress_bytes_ = 0;
  }
  RIVULET_RETURN_IF_ERROR(in_progress_.Append(std::span<const char>(bytes.data(), bytes.size())));
  in_progress_bytes_ += static_cast<int64_t>(bytes.size());
  return Status::Ok();
}

Status PartFiles::Seal(int64_t checkpoint) {
  if (!in_progress_.is_open() || in_progress_bytes_ == 0) return Status::Ok();
  RIVULET_RETURN_IF_ERROR(in_progress_.Sync());
  RIVULET_RETURN_IF_ERROR(in_progress_.Close());
  in_progress_ = File();
  const std::string pending = PendingPath(checkpoint);
  if (::rename(InProgressPath().c_str(), pending.c_str()) != 0) return ErrnoStatus("rename to", pending, errno);
  RIVULET_RETURN_IF_ERROR(SyncDir(dir_));
  state_.parts.push_back(FilePart{checkpoint, state_.end, in_progress_bytes_});
  state_.end += in_progress_bytes_;
  in_progress_bytes_ = 0;
  return Status::Ok();
}

Status PartFiles::Commit(int64_t checkpoint) {
  size_t n = 0;
  while (n < state_.parts.size() && state_.parts[n].checkpoint <= checkpoint) {
    RIVULET_RETURN_IF_ERROR(CommitPart(state_.parts[n]));
    ++n;
  }
  if (n == 0) return Status::Ok();
  state_.parts.erase(state_.parts.begin(), state_.parts.begin() + static_cast<std::ptrdiff_t>(n));
  return SyncDir(dir_);
}

Status PartFiles::CommitPart(const FilePart& part) {
  const std::string pending = PendingPath(part.checkpoint);
  {
    RIVULET_ASSIGN_OR_RETURN(File in, File::Open(pending, O_RDONLY));
    std::string buf(size_t{1} << 20, '\0');
    int64_t done = 0;
    while (done < part.length) {
      const size_t want = static_cast<size_t>(std::min<int64_t>(part.length - done, static_cast<int64_t>(buf.size())));
      RIVULET_ASSIGN_OR_RETURN(size_t got, in.ReadAt(static_cast<uint64_t>(done), std::span<char>(buf.data(), want)));
      if (got == 0) {
        return Status(Errc::kCorruption, pending + ": ends at " + std::to_string(done) + " bytes, the checkpoint recorded " +
                                             std::to_string(part.length));
      }
      RIVULET_RETURN_IF_ERROR(
          output_.WriteAt(static_cast<uint64_t>(part.offset + done), std::span<const char>(buf.data(), got)));
      done += static_cast<int64_t>(got);
    }
  }
  // The bytes are durable in the output before the pending file goes: a
  // missing pending file means a done commit.
  RIVULET_RETURN_IF_ERROR(output_.Sync());
  return Remove(pending);
}

Status PartFiles::RemoveStale() {
  const std::string in_progress = "." + name_ + std::string(kInProgress);
  const std::string pending = "." + name_ + std::string(kPending);
  std::error_code ec;
  std::vector<std::string> stale;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != in_progress && name.compare(0, pending.size(), pending) != 0) continue;
    stale.push_back(dir_ + "/" + name);
  }
  if (ec) return Status(Errc::kIoError, "listing " + dir_ + ": " + ec.message());
  for (const auto& path : stale) RIVULET_RETURN_IF_ERROR(Remove(path));
  return Status::Ok();
}

}  // namespace rivulet::connectors
