// The checkpoint store; see checkpoint_store.h. The bytes of a task file
// and of the manifest are laid out in docs/guide/checkpoints.md ("On disk");
// the constants below are that page's.
#include "engine/checkpoint_store.h"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <set>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>

#include "base/crc32c.h"
#include "base/file.h"
#include "base/logging.h"
#include "proto/rivulet_checkpoint.pb.h"

namespace rivulet::engine {
namespace {

namespace fs = std::filesystem;

// Task file, all integers big-endian:
//   header   magic "RVCK", format version u32, chain u32, instance u32,
//            operator count u32
//   section  per operator: node u32, instance u32, entry count u32, then
//            per entry: group u32, length u32, `length` bytes
//   trailer  CRC-32C u32 of every byte before it
constexpr std::string_view kMagic = "RVCK";
constexpr uint32_t kFormatVersion = 1;  // of task files and of the manifest
constexpr size_t kHeaderSize = 20;
constexpr size_t kSectionHeaderSize = 12;
constexpr size_t kEntryHeaderSize = 8;
constexpr size_t kTrailerSize = 4;
constexpr std::string_view kManifestName = "_manifest";
constexpr std::string_view kDirPrefix = "chk-";
constexpr int kIdDigits = 20;  // chk-00000000000000000042: names sort as ids do

std::shared_ptr<spdlog::logger> Logger() { return GetLogger("engine"); }

void PutU32(char* dst, uint32_t v) {
  dst[0] = static_cast<char>(v >> 24);
  dst[1] = static_cast<char>(v >> 16);
  dst[2] = static_cast<char>(v >> 8);
  dst[3] = static_cast<char>(v);
}
uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

std::string Hex(uint64_t v) {  // a fingerprint
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
std::string Hex(uint32_t v) {  // a CRC
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(v));
  return buf;
}

std::string TaskFileName(int chain, int instance) {
  return "task-" + std::to_string(chain) + "-" + std::to_string(instance) + ".state";
}

std::string DirName(int64_t id) {
  std::string digits = std::to_string(id);
  return std::string(kDirPrefix) + std::string(kIdDigits - std::min<size_t>(digits.size(), kIdDigits), '0') + digits;
}

// The id of a directory named chk-<digits>; nullopt for any other name.
std::optional<int64_t> ParseDirName(std::string_view name) {
  if (!name.starts_with(kDirPrefix)) return std::nullopt;
  name.remove_prefix(kDirPrefix.size());
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t id = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return id;
}

struct CheckpointDir {
  int64_t id;
  std::string path;
};

// The chk-<id> directories of a store, highest id first; none when the
// store's directory does not exist.
Result<std::vector<CheckpointDir>> ScanDirs(const std::string& dir) {
  std::vector<CheckpointDir> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return out;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto id = ParseDirName(it->path().filename().string());
    std::error_code type_ec;
    if (id && it->is_directory(type_ec)) out.push_back(CheckpointDir{*id, it->path().string()});
  }
  if (ec) return Status(Errc::kIoError, "list " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  return out;
}

// ---- task files ----

// Appends to a file through a buffer, keeping the CRC-32C of what it wrote.
// The first error sticks: later writes do nothing and Finish returns it.
class ChecksummedWriter {
 public:
  explicit ChecksummedWriter(File* file) : file_(file) {}
  ChecksummedWriter(const ChecksummedWriter&) = delete;
  ChecksummedWriter& operator=(const ChecksummedWriter&) = delete;

  void U32(uint32_t v) {
    char b[4];
    PutU32(b, v);
    Bytes(b, sizeof b);
  }
  void Bytes(const char* p, size_t n) {
    crc_ = Crc32cExtend(crc_, p, n);
    size_ += n;
    Raw(p, n);
  }
  // Appends the CRC-32C of everything written as the trailer and flushes.
  Status Finish() {
    char b[4];
    PutU32(b, crc_);
    Raw(b, sizeof b);
    size_ += sizeof b;
    Flush();
    return status_;
  }
  uint32_t crc() const { return crc_; }  // of the bytes before the trailer
  uint64_t size() const { return size_; }

 private:
  static constexpr size_t kBufferSize = size_t{1} << 20;
  void Raw(const char* p, size_t n) {
    if (buf_.size() + n > kBufferSize) Flush();
    if (n >= kBufferSize) {
      Append(p, n);  // a big entry goes straight to the file
    } else {
      buf_.append(p, n);
    }
  }
  void Flush() {
    Append(buf_.data(), buf_.size());
    buf_.clear();
  }
  void Append(const char* p, size_t n) {
    if (status_.ok() && n > 0) status_ = file_->Append(std::span<const char>(p, n));
  }

  File* file_;
  std::string buf_;
  uint32_t crc_ = 0;
  uint64_t size_ = 0;
  Status status_;
};

// Checks what the format cannot hold, and that no task or operator
// instance appears twice (a second would shadow the first on restore).
Status ValidateTasks(const std::vector<TaskSnapshot>& tasks) {
  std::set<std::pair<int, int>> task_ids, operator_ids;
  for (const auto& t : tasks) {
    const std::string what = "task " + std::to_string(t.chain) + "/" + std::to_string(t.instance);
    if (t.chain < 0 || t.instance < 0) return Status(Errc::kInvalidArgument, "checkpoint of " + what + ": negative id");
    if (!task_ids.insert({t.chain, t.instance}).second) {
      return Status(Errc::kInvalidArgument, "checkpoint has " + what + " twice");
    }
    if (t.operators.size() > UINT32_MAX) return Status(Errc::kInvalidArgument, what + ": too many operators");
    for (const auto& op : t.operators) {
      const std::string op_what = "operator " + std::to_string(op.node) + " instance " + std::to_string(op.instance);
      if (op.node < 0 || op.instance < 0) {
        return Status(Errc::kInvalidArgument, "checkpoint of " + op_what + " (in " + what + "): negative id");
      }
      if (!operator_ids.insert({op.node, op.instance}).second) {
        return Status(Errc::kInvalidArgument, "checkpoint has " + op_what + " twice");
      }
      if (op.entries.size() > UINT32_MAX) return Status(Errc::kInvalidArgument, op_what + ": too many entries");
      for (const auto& e : op.entries) {
        if (e.bytes.size() > UINT32_MAX) {
          return Status(Errc::kMessageTooLarge, op_what + ": a state entry of " + std::to_string(e.bytes.size()) +
                                                    " bytes (at most 4 GiB - 1)");
        }
      }
    }
  }
  return Status::Ok();
}

// Writes and fsyncs one task file; records it in `file`.
Status WriteTaskFile(const std::string& dir, const TaskSnapshot& t, proto::CheckpointManifest::TaskFile* file) {
  const std::string name = TaskFileName(t.chain, t.instance);
  const std::string path = dir + "/" + name;
  RIVULET_ASSIGN_OR_RETURN(File f, File::Open(path, O_WRONLY | O_CREAT | O_EXCL));
  ChecksummedWriter w(&f);
  w.Bytes(kMagic.data(), kMagic.size());
  w.U32(kFormatVersion);
  w.U32(static_cast<uint32_t>(t.chain));
  w.U32(static_cast<uint32_t>(t.instance));
  w.U32(static_cast<uint32_t>(t.operators.size()));
  for (const auto& op : t.operators) {
    w.U32(static_cast<uint32_t>(op.node));
    w.U32(static_cast<uint32_t>(op.instance));
    w.U32(static_cast<uint32_t>(op.entries.size()));
    for (const auto& e : op.entries) {
      w.U32(e.group);
      w.U32(static_cast<uint32_t>(e.bytes.size()));
      w.Bytes(e.bytes.data(), e.bytes.size());
    }
  }
  RIVULET_RETURN_IF_ERROR(w.Finish());
  RIVULET_RETURN_IF_ERROR(f.Sync());
  RIVULET_RETURN_IF_ERROR(f.Close());
  file->set_name(name);
  file->set_chain(t.chain);
  file->set_instance(t.instance);
  file->set_size(w.size());
  file->set_crc32c(w.crc());
  return Status::Ok();
}

Status Corrupt(const std::string& path, const std::string& what) {
  return Status(Errc::kCorruption, "checkpoint file " + path + ": " + what);
}

// Decodes task file `bytes` (read from `path`), which the manifest
// describes as `file`, appending its operator sections to `out`.
Status DecodeTaskFile(const std::string& path, std::string_view bytes, const proto::CheckpointManifest::TaskFile& file,
                      std::vector<OperatorSnapshot>* out) {
  const size_t size = bytes.size();
  if (size < file.size()) {
    return Corrupt(path,
                   "truncated: " + std::to_string(size) + " bytes, the manifest says " + std::to_string(file.size()));
  }
  if (size > file.size()) {
    return Corrupt(
        path, std::to_string(size) + " bytes, the manifest says " + std::to_string(file.size()) + " (trailing bytes)");
  }
  if (size < kHeaderSize + kTrailerSize) {
    return Corrupt(path, "short: " + std::to_string(size) + " bytes, less than a header and a trailer");
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) return Corrupt(path, "bad magic (not a task state file)");
  if (const uint32_t v = GetU32(bytes.data() + 4); v != kFormatVersion) {
    return Corrupt(path, "unknown format version " + std::to_string(v));
  }
  const std::string_view body = bytes.substr(0, size - kTrailerSize);
  const uint32_t stored = GetU32(bytes.data() + body.size());
  if (const uint32_t actual = Crc32c(body); actual != stored) {
    return Corrupt(path, "bad CRC-32C (stored " + Hex(stored) + ", computed " + Hex(actual) + ")");
  }
  if (stored != file.crc32c()) {
    return Corrupt(path, "CRC-32C " + Hex(stored) + " differs from the manifest's " + Hex(file.crc32c()) +
                             " (a file of another checkpoint?)");
  }
  const uint32_t chain = GetU32(bytes.data() + 8), instance = GetU32(bytes.data() + 12);
  if (chain != static_cast<uint32_t>(file.chain()) || instance != static_cast<uint32_t>(file.instance())) {
    return Corrupt(path, "holds task " + std::to_string(chain) + "/" + std::to_string(instance) +
                             ", the manifest says " + std::to_string(file.chain()) + "/" +
                             std::to_string(file.instance()));
  }
  const uint32_t operators = GetU32(bytes.data() + 16);
  size_t pos = kHeaderSize;
  for (uint32_t i = 0; i < operators; ++i) {
    if (body.size() - pos < kSectionHeaderSize) {
      return Corrupt(
          path, "operator section " + std::to_string(i) + " of " + std::to_string(operators) + " runs past the end");
    }
    OperatorSnapshot op;
    op.node = static_cast<int>(GetU32(body.data() + pos));
    op.instance = static_cast<int>(GetU32(body.data() + pos + 4));
    const uint32_t count = GetU32(body.data() + pos + 8);
    pos += kSectionHeaderSize;
    if (op.node < 0 || op.instance < 0) {
      return Corrupt(path, "operator section " + std::to_string(i) + " has a negative node or instance");
    }
    // Every entry takes at least its header: a count the file cannot hold
    // is caught before it sizes a vector.
    if (count > (body.size() - pos) / kEntryHeaderSize) {
      return Corrupt(path, "operator " + std::to_string(op.node) + " claims " + std::to_string(count) +
                               " entries, more than the file holds");
    }
    op.entries.reserve(count);
    for (uint32_t j = 0; j < count; ++j) {
      if (body.size() - pos < kEntryHeaderSize) {
        return Corrupt(path,
                       "entry " + std::to_string(j) + " of operator " + std::to_string(op.node) + " runs past the end");
      }
      const uint32_t group = GetU32(body.data() + pos);
      const uint32_t length = GetU32(body.data() + pos + 4);
      pos += kEntryHeaderSize;
      if (body.size() - pos < length) {
        return Corrupt(path, "entry " + std::to_string(j) + " of operator " + std::to_string(op.node) + " (" +
                                 std::to_string(length) + " bytes) runs past the end");
      }
      op.entries.push_back(StateEntry{group, std::string(body.substr(pos, length))});
      pos += length;
    }
    out->push_back(std::move(op));
  }
  if (pos != body.size()) {
    return Corrupt(path, std::to_string(body.size() - pos) + " trailing bytes after the last operator section");
  }
  return Status::Ok();
}

// ---- the manifest ----

// Reads and checks `dir`/_manifest: kNotFound when there is none (the
// checkpoint is incomplete), kCorruption naming the file when unreadable.
Result<proto::CheckpointManifest> ReadManifest(const std::string& dir) {
  const std::string path = dir + "/" + std::string(kManifestName);
  auto bytes = ReadFileToString(path);
  if (!bytes.ok()) {
    if (bytes.status().code() == Errc::kNotFound) {
      return Status(Errc::kNotFound, "checkpoint " + dir + " has no manifest (it is incomplete, or not a checkpoint)");
    }
    return bytes.status();
  }
  const std::string_view b = *bytes;
  auto corrupt = [&](const std::string& what) {
    return Status(Errc::kCorruption, "checkpoint manifest " + path + ": " + what);
  };
  if (b.size() < kTrailerSize) return corrupt("short: " + std::to_string(b.size()) + " bytes");
  const std::string_view body = b.substr(0, b.size() - kTrailerSize);
  const uint32_t stored = GetU32(b.data() + body.size());
  if (const uint32_t actual = Crc32c(body); actual != stored) {
    return corrupt("bad CRC-32C (stored " + Hex(stored) + ", computed " + Hex(actual) + ")");
  }
  proto::CheckpointManifest m;
  if (!m.ParseFromArray(body.data(), static_cast<int>(body.size()))) return corrupt("cannot parse");
  if (m.format_version() != kFormatVersion) {
    return corrupt("unknown format version " + std::to_string(m.format_version()));
  }
  std::set<std::string> names;
  for (const auto& f : m.files()) {
    // Names are checked before they are joined to a path.
    if (f.chain() < 0 || f.instance() < 0 || f.name() != TaskFileName(f.chain(), f.instance()) ||
        !names.insert(f.name()).second) {
      return corrupt("bad or repeated task file name '" + f.name() + "'");
    }
  }
  return m;
}

CheckpointInfo InfoOf(const proto::CheckpointManifest& m, const std::string& path) {
  CheckpointInfo info;
  info.id = m.id();
  info.job = m.job();
  info.graph_fingerprint = m.graph_fingerprint();
  info.time_ms = m.time_ms();
  info.duration_ms = m.duration_ms();
  info.alignment_ms = m.alignment_ms();
  info.final = m.final();
  for (const auto& [node, p] : m.parallelism()) info.parallelism[node] = p;
  for (const auto& f : m.files()) info.bytes += static_cast<int64_t>(f.size());
  info.path = path;
  return info;
}

// The manifest of a listed directory, which must carry the directory's id
// (a directory copied under another name is not that checkpoint).
Result<proto::CheckpointManifest> ReadListedManifest(const CheckpointDir& d) {
  RIVULET_ASSIGN_OR_RETURN(auto m, ReadManifest(d.path));
  if (m.id() != d.id) {
    return Status(Errc::kCorruption, "checkpoint manifest " + d.path + "/" + std::string(kManifestName) +
                                         " is of checkpoint " + std::to_string(m.id()));
  }
  return m;
}

// Reads the task files `m` lists from `dir`.
Result<LoadedCheckpoint> LoadFiles(const std::string& dir, const proto::CheckpointManifest& m) {
  std::vector<OperatorSnapshot> ops;
  for (const auto& f : m.files()) {
    const std::string path = dir + "/" + f.name();
    auto bytes = ReadFileToString(path);
    if (!bytes.ok()) {
      if (bytes.status().code() == Errc::kNotFound) return Corrupt(path, "missing");
      return bytes.status();
    }
    RIVULET_RETURN_IF_ERROR(DecodeTaskFile(path, *bytes, f, &ops));
  }
  // Per node, the instances in order, whichever files they came from.
  std::sort(ops.begin(), ops.end(),
            [](const auto& a, const auto& b) { return std::tie(a.node, a.instance) < std::tie(b.node, b.instance); });
  LoadedCheckpoint out;
  out.info = InfoOf(m, dir);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i > 0 && ops[i].node == ops[i - 1].node && ops[i].instance == ops[i - 1].instance) {
      return Status(Errc::kCorruption, "checkpoint " + dir + ": operator " + std::to_string(ops[i].node) +
                                           " instance " + std::to_string(ops[i].instance) + " appears twice");
    }
    auto& entries = out.state[ops[i].node];
    std::move(ops[i].entries.begin(), ops[i].entries.end(), std::back_inserter(entries));
  }
  return out;
}

// Removes a checkpoint directory, its manifest first: a removal cut short
// leaves an incomplete checkpoint, never a complete one with files missing.
void RemoveCheckpointDir(const std::string& path) {
  std::error_code ec;
  fs::remove(path + "/" + std::string(kManifestName), ec);
  if (!ec) fs::remove_all(path, ec);
  if (ec) {
    Logger()->warn("cannot remove checkpoint {}: {}", path, ec.message());
  } else {
    Logger()->debug("removed checkpoint {}", path);
  }
}

bool ValidJobName(const std::string& job) {
  return !job.empty() && job != "." && job != ".." && job.find('/') == std::string::npos &&
         job.find('\0') == std::string::npos;
}

}  // namespace

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::Open(const std::string& data_dir, const std::string& job,
                                                               int retain) {
  if (data_dir.empty()) return Status(Errc::kInvalidArgument, "checkpoint store: no data directory");
  if (!ValidJobName(job)) return Status(Errc::kInvalidArgument, "checkpoint store: bad job name '" + job + "'");
  if (retain < 1) return Status(Errc::kInvalidArgument, "checkpoint store: retain must be at least 1");
  const std::string root = data_dir + "/checkpoints";
  const std::string dir = root + "/" + job;
  std::error_code ec;
  const bool created = fs::create_directories(dir, ec);
  if (ec) return Status(Errc::kIoError, "create " + dir + ": " + ec.message());
  if (created) {
    // The new directories' names must be durable before a manifest in them is.
    RIVULET_RETURN_IF_ERROR(SyncDir(root));
    RIVULET_RETURN_IF_ERROR(SyncDir(data_dir));
  }
  return std::unique_ptr<CheckpointStore>(new CheckpointStore(dir, retain));
}

Status CheckpointStore::Write(CheckpointInfo& info, const std::vector<TaskSnapshot>& tasks) {
  const std::string job = fs::path(dir_).filename().string();
  if (info.id <= 0) {
    return Status(Errc::kInvalidArgument, "checkpoint id " + std::to_string(info.id) + " is not positive");
  }
  if (!info.job.empty() && info.job != job) {
    return Status(Errc::kInvalidArgument, "checkpoint of job '" + info.job + "' written to the store of '" + job + "'");
  }
  RIVULET_RETURN_IF_ERROR(ValidateTasks(tasks));
  const std::string path = dir_ + "/" + DirName(info.id);
  std::error_code ec;
  if (fs::exists(path + "/" + std::string(kManifestName), ec)) {
    return Status(Errc::kAlreadyExists, "checkpoint " + path + " exists");
  }
  fs::remove_all(path, ec);  // an earlier attempt at this id that did not complete
  if (!ec) fs::create_directory(path, ec);
  if (ec) return Status(Errc::kIoError, "create " + path + ": " + ec.message());

  proto::CheckpointManifest m;
  m.set_format_version(kFormatVersion);
  m.set_job(job);
  m.set_graph_fingerprint(info.graph_fingerprint);
  m.set_id(info.id);
  m.set_time_ms(info.time_ms);
  m.set_duration_ms(info.duration_ms);
  m.set_alignment_ms(info.alignment_ms);
  m.set_final(info.final);
  for (const auto& [node, p] : info.parallelism) (*m.mutable_parallelism())[node] = p;
  Status st = SyncDir(dir_);
  for (size_t i = 0; st.ok() && i < tasks.size(); ++i) st = WriteTaskFile(path, tasks[i], m.add_files());
  if (st.ok()) st = SyncDir(path);
  if (st.ok()) {
    // The duration includes writing the task files: trigger to (nearly) now.
    if (info.started != std::chrono::steady_clock::time_point{}) {
      info.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                               info.started)
                             .count();
      m.set_duration_ms(info.duration_ms);
    }
    std::string bytes = m.SerializeAsString();
    char crc[4];
    PutU32(crc, Crc32c(bytes));
    bytes.append(crc, sizeof crc);
    st = WriteFileAtomic(path + "/" + std::string(kManifestName), bytes);
  }
  if (!st.ok()) {
    RemoveCheckpointDir(path);  // best effort: without a manifest it does not count anyway
    return st;
  }
  info.job = job;
  info.path = path;
  info.bytes = 0;
  for (const auto& f : m.files()) info.bytes += static_cast<int64_t>(f.size());

  // Keep the newest `retain_` complete checkpoints up to this one; remove
  // everything older than the oldest kept, and incomplete directories
  // older than this one. Newer directories are not this writer's.
  auto dirs = ScanDirs(dir_);
  if (!dirs.ok()) {
    Logger()->warn("checkpoint {} written, but old ones not removed: {}", path, dirs.status().ToString());
    return Status::Ok();
  }
  int64_t cutoff = 0;  // complete checkpoints below it go
  int kept = 0;
  for (const auto& d : *dirs) {
    if (d.id > info.id) continue;
    if (ReadListedManifest(d).ok() && ++kept == retain_) {
      cutoff = d.id;
      break;
    }
  }
  for (const auto& d : *dirs) {
    if (d.id >= info.id) continue;
    if (d.id < cutoff || !fs::exists(d.path + "/" + std::string(kManifestName), ec)) RemoveCheckpointDir(d.path);
  }
  return Status::Ok();
}

Result<std::vector<CheckpointInfo>> CheckpointStore::List() const {
  RIVULET_ASSIGN_OR_RETURN(auto dirs, ScanDirs(dir_));
  std::vector<CheckpointInfo> out;
  for (const auto& d : dirs) {
    auto m = ReadListedManifest(d);
    if (m.ok()) {
      out.push_back(InfoOf(*m, d.path));
    } else if (m.status().code() != Errc::kNotFound) {
      Logger()->warn("skipping checkpoint {}: {}", d.path, m.status().ToString());
    }
  }
  return out;
}

Result<std::optional<LoadedCheckpoint>> CheckpointStore::LoadLatest(uint64_t graph_fingerprint) const {
  RIVULET_ASSIGN_OR_RETURN(auto dirs, ScanDirs(dir_));
  for (const auto& d : dirs) {
    auto m = ReadListedManifest(d);
    if (!m.ok()) {
      if (m.status().code() == Errc::kNotFound) continue;  // incomplete
      if (m.status().code() != Errc::kCorruption) return m.status();
      Logger()->warn("skipping checkpoint {}: {}", d.path, m.status().ToString());
      continue;
    }
    if (m->graph_fingerprint() != graph_fingerprint) {
      return Status(Errc::kInvalidArgument, "checkpoint " + d.path + " is of another job graph (fingerprint " +
                                                Hex(m->graph_fingerprint()) + ", this job " + Hex(graph_fingerprint) +
                                                "); run with --fresh to start over, or remove " + dir_);
    }
    auto loaded = LoadFiles(d.path, *m);
    if (loaded.ok()) return std::optional<LoadedCheckpoint>(std::move(loaded).value());
    // Only bytes that fail validation send us to an older checkpoint; an
    // I/O error may pass, and restoring older state than exists would hide it.
    if (loaded.status().code() != Errc::kCorruption) return loaded.status();
    Logger()->warn("skipping checkpoint {}, trying an older one: {}", d.path, loaded.status().message());
  }
  return std::optional<LoadedCheckpoint>();
}

Result<LoadedCheckpoint> CheckpointStore::Load(const std::string& path) {
  RIVULET_ASSIGN_OR_RETURN(auto m, ReadManifest(path));
  return LoadFiles(path, m);
}

Result<int64_t> CheckpointStore::NextId() const {
  RIVULET_ASSIGN_OR_RETURN(auto dirs, ScanDirs(dir_));
  if (dirs.empty()) return int64_t{1};
  return dirs.front().id + 1;
}

}  // namespace rivulet::engine
