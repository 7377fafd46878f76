// Image, build and distribution operations of the Docker Engine API (spec tags "Image",
// "Distribution" and the build endpoints).
//
// Each struct is one operation, named after its operationId; fields are its parameters.
// Run them with engine::client::run / async_run. Pull, push, load and build answer with a
// progress_stream of typed records; a failure the daemon reports in-band ends the stream
// with engine::error::stream_error and the daemon's message in its diagnostics().
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/config/auth.hpp"
#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/error.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/api_version.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/streams.hpp"
#include "berth/engine/types.hpp"
#include "berth/http/client.hpp"

namespace berth::engine {

namespace detail {
struct state;
template <class Record>
struct progress_state;
}  // namespace detail

/// A pull-driven stream of progress records (pull, push, import, load, build output),
/// each parsed into Record. An errorDetail / error record completes the read with
/// engine::error::stream_error, the daemon's message in diagnostics(); the end of the
/// stream completes with asio::error::eof.
template <class Record>
class BERTH_API progress_stream {
 public:
  using executor_type = asio::any_io_executor;

  progress_stream() = default;
  explicit progress_stream(record_stream records);
  progress_stream(progress_stream&&) noexcept = default;
  progress_stream& operator=(progress_stream&&) noexcept = default;
  ~progress_stream();

  bool is_open() const noexcept;
  executor_type get_executor() const;
  /// The daemon's in-band error, once one came.
  const berth::diagnostics& diagnostics() const noexcept;

  /// The next record. Completion: void(std::error_code, Record). Cancellation: terminal;
  /// the stream is closed.
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return berth::detail::initiate<Record>(
        get_executor(), [s = state_] { return do_next(s); }, std::forward<CompletionToken>(token));
  }
  Record next(std::error_code& ec);
  /// Blocking; throws berth::error (with diagnostics()) on failure, and at the end
  /// (asio::error::eof).
  Record next();

  void close() noexcept;

  static asio::awaitable<result<Record>> do_next(std::shared_ptr<detail::progress_state<Record>> s);
  /// For compositions that outlive a move of this object (async_drain): the shared state.
  const std::shared_ptr<detail::progress_state<Record>>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<detail::progress_state<Record>> state_;
};

using pull_stream = progress_stream<create_image_info>;   ///< ImageCreate (pull and import).
using push_stream = progress_stream<push_image_info>;     ///< ImagePush.
using build_stream = progress_stream<build_info>;         ///< ImageBuild and ImageLoad.

/// What a drained progress stream ended with.
struct BERTH_API progress_summary {
  std::string status{};     ///< The last status (or stream text, trimmed) the daemon sent.
  std::string image_id{};   ///< Build: the aux record's image ID; load: the loaded image ID.
  std::size_t records = 0;  ///< Records read.
};

/// Reads s to its end (blocking). An in-band failure gives engine::error::stream_error
/// with the daemon's message in diag (and in s.diagnostics()).
template <class Record>
BERTH_API progress_summary drain(progress_stream<Record>& s, std::error_code& ec,
                                 berth::diagnostics* diag = nullptr);
/// Blocking; throws berth::error with the daemon's message on failure.
template <class Record>
BERTH_API progress_summary drain(progress_stream<Record>& s);

/// The async form of drain. Completion: void(std::error_code, progress_summary); the
/// daemon's message of an in-band failure is in s.diagnostics(). The operation holds the
/// stream's state: s may be moved or destroyed while it runs.
template <class Record, class CompletionToken>
auto async_drain(progress_stream<Record>& s, CompletionToken&& token);

/// A request whose body the caller streams (a tarball) and whose answer is a progress
/// stream: import, load, build. write() the bytes, then finish() for the progress.
///
/// The request writer is shared with the operations in flight: an upload may be moved (or
/// destroyed) while its async operations run.
template <class Record>
class BERTH_API progress_upload {
 public:
  progress_upload() = default;
  explicit progress_upload(http::request_writer w)
      : writer_(std::make_shared<http::request_writer>(std::move(w))) {}

  bool is_open() const noexcept { return writer_ && writer_->is_open(); }
  asio::any_io_executor get_executor() const {
    return writer_ ? writer_->get_executor() : asio::any_io_executor();
  }
  /// The underlying writer (valid while this upload is).
  http::request_writer& writer() noexcept { return *writer_; }
  /// The writer, shared with the operations that use it.
  const std::shared_ptr<http::request_writer>& shared_writer() const noexcept { return writer_; }

  /// Sends buf. Completion: void(std::error_code, std::size_t). The caller keeps buf
  /// alive until completion.
  template <class CompletionToken>
  auto async_write(asio::const_buffer buf, CompletionToken&& token) {
    return writer_->async_write(buf, std::forward<CompletionToken>(token));
  }
  std::size_t write(asio::const_buffer buf, std::error_code& ec) { return writer_->write(buf, ec); }
  /// Blocking; throws berth::error on failure.
  std::size_t write(asio::const_buffer buf) { return writer_->write(buf); }

  /// Ends the upload and opens the answer. An error status becomes its engine error
  /// (message in diag, which must outlive the operation). Completion:
  /// void(std::error_code, progress_stream<Record>).
  template <class CompletionToken>
  auto async_finish(berth::diagnostics* diag, CompletionToken&& token) {
    return berth::detail::initiate<progress_stream<Record>>(
        get_executor(), [w = writer_, diag] { return do_finish(w, diag); },
        std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_finish(CompletionToken&& token) {
    return async_finish(nullptr, std::forward<CompletionToken>(token));
  }
  progress_stream<Record> finish(std::error_code& ec, berth::diagnostics* diag = nullptr);
  /// Blocking; throws berth::error with the daemon's message on failure.
  progress_stream<Record> finish();

  void close() noexcept {
    if (writer_) writer_->close();
  }

 private:
  static asio::awaitable<result<progress_stream<Record>>> do_finish(
      std::shared_ptr<http::request_writer> w, berth::diagnostics* diag);
  std::shared_ptr<http::request_writer> writer_;
};

using import_upload = progress_upload<create_image_info>;  ///< ImageCreate with fromSrc=-.
using load_upload = progress_upload<build_info>;           ///< ImageLoad.
using build_upload = progress_upload<build_info>;          ///< ImageBuild.

namespace op {

/// GET /images/json.
struct BERTH_API image_list {
  using result_type = std::vector<image_summary>;
  static constexpr std::string_view operation_id = "ImageList";
  bool all = false;                  ///< Include intermediate images.
  engine::filters filters{};         ///< before, dangling, label, reference, since.
  bool digests = false;              ///< Include RepoDigests of each image.
};

/// POST /images/create?fromImage=: pull an image; the answer is pull progress.
struct BERTH_API image_create_pull {
  using result_type = pull_stream;
  static constexpr std::string_view operation_id = "ImageCreate";
  std::string from_image{};                      ///< Name, possibly with :tag or \@digest.
  std::optional<std::string> tag{};              ///< Tag or digest; empty pulls "latest".
  std::optional<std::string> platform{};         ///< os[/arch[/variant]].
  std::optional<berth::config::auth_config> auth{};   ///< X-Registry-Auth.
};

/// POST /images/create?fromSrc=-: import a root filesystem tarball the caller streams
/// through the returned upload; finish() gives the progress.
struct BERTH_API image_create_import {
  using result_type = import_upload;
  static constexpr std::string_view operation_id = "ImageCreate";
  std::optional<std::string> repo{};             ///< Repository for the new image.
  std::optional<std::string> tag{};
  std::optional<std::string> message{};          ///< Commit message.
  std::vector<std::string> changes{};            ///< Dockerfile instructions (CMD, ENV, ...).
  std::optional<std::string> platform{};
};

/// GET /images/{name}/json.
struct BERTH_API image_inspect {
  using result_type = engine::image_inspect;
  static constexpr std::string_view operation_id = "ImageInspect";
  std::string name{};
};

/// GET /images/{name}/history.
struct BERTH_API image_history {
  using result_type = std::vector<image_history_response_item>;
  static constexpr std::string_view operation_id = "ImageHistory";
  std::string name{};
};

/// POST /images/{name}/push; the answer is push progress.
struct BERTH_API image_push {
  using result_type = push_stream;
  static constexpr std::string_view operation_id = "ImagePush";
  std::string name{};                            ///< Repository, without tag.
  std::optional<std::string> tag{};              ///< Empty pushes every tag.
  std::optional<berth::config::auth_config> auth{};   ///< X-Registry-Auth ("{}" when unset).
};

/// POST /images/{name}/tag.
struct BERTH_API image_tag {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ImageTag";
  std::string name{};                            ///< Image name or ID.
  std::string repo{};
  std::optional<std::string> tag{};
};

/// DELETE /images/{name}.
struct BERTH_API image_delete {
  using result_type = std::vector<image_delete_response_item>;
  static constexpr std::string_view operation_id = "ImageDelete";
  std::string name{};
  bool force = false;
  bool noprune = false;                          ///< Keep untagged parents.
};

/// GET /images/search (Docker Hub, through the daemon).
struct BERTH_API image_search {
  using result_type = std::vector<image_search_response_item>;
  static constexpr std::string_view operation_id = "ImageSearch";
  std::string term{};
  std::optional<std::int64_t> limit{};
  engine::filters filters{};                     ///< is-automated, is-official, stars.
};

/// POST /images/prune.
struct BERTH_API image_prune {
  using result_type = image_prune_response;
  static constexpr std::string_view operation_id = "ImagePrune";
  engine::filters filters{};                     ///< dangling, until, label, label!.
};

/// POST /commit: a new image from a container's changes.
struct BERTH_API image_commit {
  using result_type = id_response;
  static constexpr std::string_view operation_id = "ImageCommit";
  std::string container{};
  std::optional<std::string> repo{};
  std::optional<std::string> tag{};
  std::optional<std::string> comment{};
  std::optional<std::string> author{};
  bool pause = true;
  std::optional<std::string> changes{};          ///< Dockerfile instructions, newline-separated.
  std::optional<container_config> config{};     ///< The body; empty object when unset.
};

/// GET /images/{name}/get: one image (or repository) as a streamed tarball.
struct BERTH_API image_get {
  using result_type = http::body_stream;
  static constexpr std::string_view operation_id = "ImageGet";
  std::string name{};
};

/// GET /images/get?names=...: several images as one streamed tarball.
struct BERTH_API image_get_all {
  using result_type = http::body_stream;
  static constexpr std::string_view operation_id = "ImageGetAll";
  std::vector<std::string> names{};
};

/// POST /images/load: a tarball (as image_get makes) streamed by the caller through the
/// returned upload; finish() gives the load output.
struct BERTH_API image_load {
  using result_type = load_upload;
  static constexpr std::string_view operation_id = "ImageLoad";
  bool quiet = false;
};

/// GET /distribution/{name}/json: the manifest descriptor and platforms from the registry.
struct BERTH_API distribution_inspect {
  using result_type = engine::distribution_inspect;
  static constexpr std::string_view operation_id = "DistributionInspect";
  std::string name{};
  std::optional<berth::config::auth_config> auth{};
};

/// GET /images/{name}/attestations: the in-toto statements attached to an image (needs an
/// image store that keeps OCI indexes; the legacy graphdriver store answers 501).
/// The spec berth is generated from marks no version; berth sends it from API 1.56, the
/// newest spec it knows the operation from, and fails with operation_unsupported below.
struct BERTH_API image_attestations {
  using result_type = std::vector<attestation_statement>;
  static constexpr std::string_view operation_id = "ImageAttestations";
  static constexpr api_version since{1, 56};
  std::string name{};
  std::optional<std::string> platform{};  ///< JSON OCI platform, e.g. {"os":"linux","architecture":"amd64"}.
  std::vector<std::string> types{};       ///< Predicate type URIs (type, repeated); empty: all.
  bool statement = false;                 ///< Include each statement's body.
};

/// POST /build: the build context is a tar the caller streams through the returned
/// upload (write_build_context streams a directory); finish() gives the build output.
struct BERTH_API image_build {
  using result_type = build_upload;
  static constexpr std::string_view operation_id = "ImageBuild";
  std::optional<std::string> dockerfile{};          ///< Path in the context; default Dockerfile.
  std::vector<std::string> tags{};                  ///< t (repeated).
  std::optional<std::string> extrahosts{};
  std::optional<std::string> remote{};              ///< A Git URL or a remote context URL.
  bool quiet = false;                               ///< q.
  bool nocache = false;
  std::vector<std::string> cachefrom{};
  bool pull = false;                                ///< Always pull the base images.
  bool rm = true;
  bool forcerm = false;
  std::optional<std::int64_t> memory{};
  std::optional<std::int64_t> memswap{};
  std::optional<std::int64_t> cpushares{};
  std::optional<std::string> cpusetcpus{};
  std::optional<std::int64_t> cpuperiod{};
  std::optional<std::int64_t> cpuquota{};
  std::map<std::string, std::string> buildargs{};
  std::optional<std::int64_t> shmsize{};
  bool squash = false;
  std::map<std::string, std::string> labels{};
  std::optional<std::string> networkmode{};
  std::optional<std::string> platform{};
  std::optional<std::string> target{};
  std::optional<std::string> outputs{};
  std::optional<std::string> version{};             ///< "1" (classic) or "2" (BuildKit).
  std::map<std::string, berth::config::auth_config> registry_config{};  ///< X-Registry-Config.
};

/// POST /build/prune.
struct BERTH_API build_prune {
  using result_type = build_prune_response;
  static constexpr std::string_view operation_id = "BuildPrune";
  std::optional<std::int64_t> keep_storage{};
  bool all = false;
  engine::filters filters{};
};

}  // namespace op

/// Settings of write_build_context.
struct BERTH_API build_context_options {
  /// The Dockerfile's path in the context; it and .dockerignore are always sent.
  std::string dockerfile = "Dockerfile";
  std::size_t chunk_bytes = 64 * 1024;  ///< File data is read and sent this much at a time.
};

/// A .dockerignore, matched as Docker's patternmatcher does: *, ?, [...], ** (any number
/// of directories), \ escapes, ! exceptions (the last matching pattern wins), and a
/// pattern matching a parent directory excludes everything below it.
class BERTH_API dockerignore {
 public:
  dockerignore() = default;
  /// Parses the text of a .dockerignore (comments, blank lines, leading '/').
  static dockerignore parse(std::string_view text);
  /// Whether path (relative to the context, '/'-separated) is excluded.
  bool excluded(std::string_view path) const;
  /// Whether any pattern is an exception (then excluded directories must still be walked).
  bool has_exceptions() const noexcept;
  /// Adds a pattern.
  void add(std::string_view pattern);

 private:
  struct pattern;
  std::vector<std::shared_ptr<const pattern>> patterns_;
};

/// Streams directory dir as a tar build context into upload, honouring dir/.dockerignore;
/// files are read chunk by chunk, the context is never held in memory. Does not finish the
/// upload. Completion: void(std::error_code, std::uint64_t) with the tar bytes sent.
template <class CompletionToken>
auto async_write_build_context(build_upload& upload, std::filesystem::path dir,
                               build_context_options opts, CompletionToken&& token);
/// Blocking; on failure sets ec. Not on the thread that runs the client's executor.
BERTH_API std::uint64_t write_build_context(build_upload& upload, const std::filesystem::path& dir,
                                            std::error_code& ec, build_context_options opts = {});
/// Blocking; throws berth::error on failure.
BERTH_API std::uint64_t write_build_context(build_upload& upload, const std::filesystem::path& dir,
                                            build_context_options opts = {});

/// Streams a directory as a tar to any sink (the core of write_build_context): sink is
/// called with consecutive pieces of the archive; an error it returns stops the walk.
BERTH_API result<std::uint64_t> write_context_tar(
    const std::filesystem::path& dir, const build_context_options& opts,
    const std::function<std::error_code(std::string_view)>& sink);

namespace detail {
#define BERTH_ENGINE_OP(OP) \
  BERTH_API asio::awaitable<result<op::OP::result_type>> execute(std::shared_ptr<state> s, op::OP op, call_options opts);
BERTH_ENGINE_OP(image_list)
BERTH_ENGINE_OP(image_create_pull)
BERTH_ENGINE_OP(image_create_import)
BERTH_ENGINE_OP(image_inspect)
BERTH_ENGINE_OP(image_history)
BERTH_ENGINE_OP(image_push)
BERTH_ENGINE_OP(image_tag)
BERTH_ENGINE_OP(image_delete)
BERTH_ENGINE_OP(image_search)
BERTH_ENGINE_OP(image_prune)
BERTH_ENGINE_OP(image_commit)
BERTH_ENGINE_OP(image_get)
BERTH_ENGINE_OP(image_get_all)
BERTH_ENGINE_OP(image_load)
BERTH_ENGINE_OP(distribution_inspect)
BERTH_ENGINE_OP(image_attestations)
BERTH_ENGINE_OP(image_build)
BERTH_ENGINE_OP(build_prune)
#undef BERTH_ENGINE_OP

template <class Record>
BERTH_API asio::awaitable<result<progress_summary>> drain_progress(
    std::shared_ptr<detail::progress_state<Record>> s);
BERTH_API asio::awaitable<result<std::uint64_t>> write_build_context_async(
    std::shared_ptr<http::request_writer> upload, std::filesystem::path dir, build_context_options opts);
}  // namespace detail

template <class Record, class CompletionToken>
auto async_drain(progress_stream<Record>& s, CompletionToken&& token) {
  return berth::detail::initiate<progress_summary>(
      s.get_executor(), [st = s.state()] { return detail::drain_progress(st); },
      std::forward<CompletionToken>(token));
}

template <class CompletionToken>
auto async_write_build_context(build_upload& upload, std::filesystem::path dir,
                               build_context_options opts, CompletionToken&& token) {
  return berth::detail::initiate<std::uint64_t>(
      upload.get_executor(),
      [w = upload.shared_writer(), dir = std::move(dir), opts = std::move(opts)] {
        return detail::write_build_context_async(w, dir, opts);
      },
      std::forward<CompletionToken>(token));
}

extern template class progress_stream<create_image_info>;
extern template class progress_stream<push_image_info>;
extern template class progress_stream<build_info>;
extern template class progress_upload<create_image_info>;
extern template class progress_upload<build_info>;

}  // namespace berth::engine
