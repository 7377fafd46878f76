// Client-side pull: blobs into the content store under a lease, the image record, and
// the layers unpacked into the snapshotter (image_store.hpp, shared with the import).
// The work is blocking (libcurl, and the sync forms of berth's own operations on a
// private io_context) and runs on a thread of its own; the result is posted to the
// caller's executor.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>

#include <deque>
#include <map>

#include <asio/async_result.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "berth/containerd/error.hpp"
#include "berth/containerd/pull_stream.hpp"
#include "berth/core/offload.hpp"
#include "image_store.hpp"
#include "berth_config.hpp"
#if BERTH_HAVE_CONTAINERD_PULL
#include "berth/config/auth.hpp"
#include "registry.hpp"
#endif

namespace berth::containerd {

std::string image_reference::name() const {
  std::string n = registry + "/" + repository;
  if (!tag.empty()) n += ":" + tag;
  if (!digest.empty()) n += "@" + digest;
  return n;
}

result<image_reference> parse_reference(std::string_view ref) {
  image_reference r;
  if (ref.empty() || ref.size() > 4096) return unexpected(pull_errc::bad_reference);
  std::string_view rest = ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    auto colon = r.digest.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == r.digest.size())
      return unexpected(pull_errc::bad_reference);
  }
  auto slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  if (slash != std::string_view::npos &&
      (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos || first == "localhost")) {
    r.registry = std::string(first);
    rest = rest.substr(slash + 1);
    for (char c : r.registry)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
        return unexpected(pull_errc::bad_reference);
  } else {
    r.registry = "docker.io";
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    r.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (r.tag.empty()) return unexpected(pull_errc::bad_reference);
  }
  if (rest.empty()) return unexpected(pull_errc::bad_reference);
  for (char c : rest)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '/' ||
          c == '.' || c == '_' || c == '-'))
      return unexpected(pull_errc::bad_reference);
  for (char c : r.tag)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return unexpected(pull_errc::bad_reference);
  r.repository = std::string(rest);
  if (r.registry == "docker.io" && r.repository.find('/') == std::string::npos) r.repository = "library/" + r.repository;
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

namespace detail {

/// The shared state of a pull and its stream: the latest progress of each item, the items
/// changed since the reader last asked (each once), the outcome, and the reader's waiter.
struct pull_tracker {
  std::shared_ptr<state> s;
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  std::mutex mu;
  std::map<std::string, pull_progress> latest;
  std::deque<std::string> dirty;
  bool finished = false;
  result<image> outcome = unexpected(berth::errc::internal);
  berth::diagnostics diag;
  std::function<void(bool)> waiter;  ///< Wakes a pending next: false (a change), true (cancelled).

  /// Records a change (under the lock) and wakes the reader.
  template <class F>
  void change(const std::string& id, F&& f) {
    std::function<void(bool)> w;
    {
      std::lock_guard<std::mutex> l(mu);
      auto [it, added] = latest.try_emplace(id);
      if (added) it->second.id = id;
      bool was_queued = std::find(dirty.begin(), dirty.end(), id) != dirty.end();
      f(it->second);
      if (!was_queued) dirty.push_back(id);
      w = std::move(waiter);
      waiter = nullptr;
    }
    if (w) w(false);
  }
  void set(const std::string& id, pull_phase ph, std::int64_t cur, std::int64_t total) {
    change(id, [&](pull_progress& p) {
      p.phase = ph;
      p.current = cur;
      p.total = total;
    });
  }
  void add(const std::string& id, std::int64_t n) {
    change(id, [&](pull_progress& p) {
      p.phase = pull_phase::downloading;
      p.current += n;
    });
  }
  /// Publishes the outcome. self is the pull job's reference, dropped before the reader
  /// is woken: once the reader has the outcome it may drop the stream, the client and the
  /// client's io_context, and the job must not be the one that destroys them afterwards.
  static void finish(std::shared_ptr<pull_tracker> self, result<image> r, berth::diagnostics d) {
    std::function<void(bool)> w;
    {
      std::lock_guard<std::mutex> l(self->mu);
      self->finished = true;
      self->outcome = std::move(r);
      self->diag = std::move(d);
      w = std::move(self->waiter);
      self->waiter = nullptr;
    }
    self.reset();
    if (w) w(false);
  }
};

namespace {

#if BERTH_HAVE_CONTAINERD_PULL

/// The pull; a registry answer it fails on (status and body, or curl's message) in diag.
result<image> pull_blocking(const std::shared_ptr<state>& s, const std::string& ref_text, const pull_options& o,
                            const std::atomic<bool>& cancel, berth::diagnostics& diag, pull_tracker* track = nullptr) {
  auto ref = parse_reference(ref_text);
  if (!ref) return unexpected(ref.error());
  if (track) track->set(ref_text, pull_phase::resolving, 0, 0);
  blocking plain(s);
  auto lease = make_lease(plain, "berth-pull-");
  if (!lease) return unexpected(lease.error());
  blocking b(s, *lease);
  lease_holder dropper{plain, *lease};

  std::string user = o.username, pass = o.password;
  if (user.empty()) {
    auto creds = berth::config::resolve_credentials(ref->registry);
    if (creds && !creds->username.empty()) user = creds->username, pass = creds->password;
  }
  registry_session reg(ref->registry, ref->repository, user, pass, &cancel);
  auto top = reg.get_manifest(ref->digest.empty() ? ref->tag : ref->digest, &diag);
  if (!top) return unexpected(top.error());
  descriptor top_desc{top->content_type, sha256_digest(top->body), static_cast<std::int64_t>(top->body.size()), {}};
  if (!ref->digest.empty() && top_desc.digest != ref->digest) return unexpected(pull_errc::digest_mismatch);
  auto doc = parse_manifest(top->body, top->content_type);
  if (!doc) return unexpected(doc.error());
  if (top_desc.media_type.empty() || !(is_index(top_desc.media_type) || is_manifest(top_desc.media_type)))
    top_desc.media_type = doc->media_type.empty() ? std::string(doc->index ? media::oci_index : media::oci_manifest)
                                                  : doc->media_type;

  std::string index_body;
  descriptor manifest_desc = top_desc;
  std::string manifest_body = top->body;
  if (doc->index) {
    platform p = o.platform.os.empty() ? host_platform() : o.platform;
    auto chosen = select_platform(*doc, p);
    if (!chosen) return unexpected(chosen.error());
    index_body = std::move(manifest_body);
    manifest_desc = *chosen;
    auto m = reg.get_manifest(chosen->digest, &diag);
    if (!m) return unexpected(m.error());
    if (sha256_digest(m->body) != chosen->digest) return unexpected(pull_errc::digest_mismatch);
    manifest_body = std::move(m->body);
    doc = parse_manifest(manifest_body, chosen->media_type);
    if (!doc) return unexpected(doc.error());
    if (doc->index) return unexpected(pull_errc::unsupported_media_type);
  }

  // The config.
  auto cfg_body = std::make_shared<std::string>();
  auto got = reg.get_blob(doc->config.digest,
                          [&](std::string_view d) {
                            if (cfg_body->size() + d.size() > (8u << 20)) return false;
                            cfg_body->append(d);
                            return true;
                          },
                          &diag);
  if (!got) return unexpected(got.error());
  auto cfg = parse_image_config(*cfg_body);
  if (!cfg) return unexpected(cfg.error());
  if (cfg->diff_ids.size() != doc->layers.size()) return unexpected(pull_errc::bad_manifest);
  for (const auto& l : doc->layers)
    if (!is_layer(l.media_type)) return unexpected(pull_errc::unsupported_media_type);

  // The layers, in parallel, each verified by size and digest while it streams.
  std::vector<unpack_layer> layers;
  for (std::size_t i = 0; i < doc->layers.size(); ++i) {
    layers.push_back({doc->layers[i], cfg->diff_ids[i]});
    if (track) track->set(doc->layers[i].digest, pull_phase::waiting, 0, doc->layers[i].size);
  }
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::error_code first_error;
  berth::diagnostics first_diag;
  auto worker = [&] {
    blocking wb(s, *lease);
    registry_session wreg(ref->registry, ref->repository, user, pass, &cancel);
    for (;;) {
      std::size_t i = next++;
      if (i >= layers.size()) return;
      {
        std::lock_guard<std::mutex> l(mu);
        if (first_error) return;
      }
      const auto& d = layers[i].blob;
      labels l{{"containerd.io/uncompressed", layers[i].diff_id}};
      std::error_code ec;
      berth::diagnostics ldiag;
      if (wb.run(op::content_info_get{d.digest})) {
        // Already there (a second pull): refresh its labels only.
        auto u = wb.run(op::content_update{content_info{.digest = d.digest, .labels = l},
                                           {"labels.containerd.io/uncompressed"}});
        if (!u) ec = u.error();
        if (!ec && track) track->set(d.digest, pull_phase::exists, d.size, d.size);
      } else {
        for (int attempt = 0; attempt < 3; ++attempt) {
          ldiag.clear();  // only the last attempt's answer counts
          if (track) track->set(d.digest, pull_phase::downloading, 0, d.size);
          auto r = write_blob(wb, d.digest, d.size, l, [&](blob_sink& sink) {
            auto got = wreg.get_blob(d.digest,
                                     [&](std::string_view data) {
                                       if (track) track->add(d.digest, static_cast<std::int64_t>(data.size()));
                                       return sink.put(data);
                                     },
                                     &ldiag);
            return got ? std::error_code{} : (sink.error() ? sink.error() : got.error());
          });
          ec = r ? std::error_code{} : r.error();
          if (ec != pull_errc::transport_error || cancel) break;
        }
        if (!ec && track) track->set(d.digest, pull_phase::downloaded, d.size, d.size);
      }
      if (ec) {
        std::lock_guard<std::mutex> g(mu);
        if (!first_error) first_error = ec, first_diag = ldiag;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  int n = std::max(1, std::min<int>(o.parallel, static_cast<int>(layers.size())));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (cancel) return unexpected(berth::errc::cancelled);
  if (first_error) {
    diag = std::move(first_diag);
    return unexpected(first_error);
  }

  // Parents after children, each with the GC labels that keep its children alive.
  auto r = store_bytes(b, doc->config, *cfg_body, {});
  if (!r) return unexpected(r.error());
  labels ml = manifest_gc_labels(*doc);
  r = store_bytes(b, manifest_desc, manifest_body, ml);
  if (!r) return unexpected(r.error());
  if (!index_body.empty()) {
    labels il;
    auto idx = parse_manifest(index_body, top_desc.media_type);
    for (std::size_t i = 0; idx && i < idx->manifests.size(); ++i)
      if (idx->manifests[i].desc.digest == manifest_desc.digest)
        il["containerd.io/gc.ref.content.m." + std::to_string(i)] = manifest_desc.digest;
    r = store_bytes(b, top_desc, index_body, il);
    if (!r) return unexpected(r.error());
  }
  auto img = put_image(b, image{.name = ref->name(), .labels = {}, .target = top_desc});
  if (!img) return unexpected(img.error());
  if (o.unpack) {
    if (track) track->set(ref_text, pull_phase::unpacking, 0, 0);
    r = unpack_image(b, doc->config, *cfg_body, layers, o.snapshotter, cancel);
    if (!r) return unexpected(r.error());
  }
  if (track) track->set(ref_text, pull_phase::done, 0, 0);
  return img;
}

#endif

}  // namespace
}  // namespace detail

asio::awaitable<result<image>> client::do_pull(std::shared_ptr<detail::state> s, std::string ref, pull_options o) {
#if BERTH_HAVE_CONTAINERD_PULL
  auto job = [s, ref = std::move(ref), o = std::move(o)](const std::atomic<bool>& cancel) {
    berth::diagnostics diag;
    auto r = detail::pull_blocking(s, ref, o, cancel, diag);
    // Written on the pull's thread, before the completion is posted.
    if (o.diag) *o.diag = r ? berth::diagnostics{} : std::move(diag);
    return r;
  };
  co_return co_await detail::run_on_thread<image>(job);
#else
  (void)s, (void)ref;
  if (o.diag) o.diag->clear();
  co_return unexpected(berth::errc::unsupported);
#endif
}

image client::pull(std::string ref, pull_options opts, std::error_code& ec) {
  auto r = host().run<image>([&](auto h) { async_pull(std::move(ref), std::move(opts), std::move(h)); });
  return value_or_set(std::move(r), ec);
}
image client::pull(std::string ref, pull_options opts) {
  berth::diagnostics local;
  if (!opts.diag) opts.diag = &local;
  auto* diag = opts.diag;
  return or_throw([&](std::error_code& ec) { return pull(std::move(ref), std::move(opts), ec); },
                  [&] { return *diag; });
}

// ---- pull_stream ----

namespace detail {
namespace {

/// Waits for a change of t (or its end). Completes with true when cancelled.
auto await_change(const std::shared_ptr<pull_tracker>& t) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(bool)>(
      [t](auto handler) {
        auto slot = asio::get_associated_cancellation_slot(handler);
        auto fc = std::make_shared<foreign_completion<decltype(handler)>>(std::move(handler));
        std::function<void(bool)> w = [fc](bool cancelled) { fc->complete(cancelled); };
        {
          std::lock_guard<std::mutex> l(t->mu);
          if (t->dirty.empty() && !t->finished) {
            t->waiter = std::move(w);
            w = nullptr;
          }
        }
        if (w) {
          w(false);
          return;
        }
        if (slot.is_connected()) {
          slot.assign([t](asio::cancellation_type type) {
            if ((type & asio::cancellation_type::terminal) == asio::cancellation_type::none) return;
            std::function<void(bool)> pending;
            {
              std::lock_guard<std::mutex> l(t->mu);
              pending = std::move(t->waiter);
              t->waiter = nullptr;
            }
            if (pending) pending(true);
          });
        }
      },
      asio::use_awaitable);
}

}  // namespace

asio::awaitable<result<pull_stream>> execute(std::shared_ptr<state> s, op::pull_image o, call_options) {
#if BERTH_HAVE_CONTAINERD_PULL
  auto t = std::make_shared<pull_tracker>();
  t->s = s;
  // The job's own copy of the client state, with an execution host of its own (as
  // `blocking` makes): a worker thread never holds the caller's executor, which may be
  // gone (with its io_context) by the time the job lets go of its references.
  auto job = std::make_shared<state>(*s);
  job->host = std::make_shared<execution_host>();
  asio::post(berth::detail::worker_pool(), [job = std::move(job), t, o = std::move(o)]() mutable {
    berth::diagnostics diag;
    auto r = pull_blocking(job, o.reference, o.options, *t->cancel, diag, t.get());
    job.reset();
    pull_tracker::finish(std::move(t), std::move(r), std::move(diag));
  });
  co_return pull_stream(std::move(t));
#else
  (void)s, (void)o;
  co_return unexpected(berth::errc::unsupported);
#endif
}

}  // namespace detail

pull_stream& pull_stream::operator=(pull_stream&& o) noexcept {
  if (this != &o) {
    close();
    tracker_ = std::move(o.tracker_);
  }
  return *this;
}

pull_stream::~pull_stream() { close(); }

void pull_stream::close() noexcept {
  if (!tracker_) return;
  tracker_->cancel->store(true);
  std::function<void(bool)> pending;
  {
    std::lock_guard<std::mutex> l(tracker_->mu);
    pending = std::move(tracker_->waiter);
    tracker_->waiter = nullptr;
  }
  if (pending) pending(true);
  {
    // The job may outlive this stream: it must not hold the last reference to the
    // client's state (and with it the caller's executor) when it ends.
    std::shared_ptr<detail::state> mine;
    {
      std::lock_guard<std::mutex> l(tracker_->mu);
      mine = std::move(tracker_->s);
    }
  }
  tracker_.reset();
}

pull_stream::executor_type pull_stream::get_executor() const { return tracker_->s->executor(); }

const image& pull_stream::image() const {
  static const containerd::image none{};
  if (!tracker_) return none;
  std::lock_guard<std::mutex> l(tracker_->mu);
  return tracker_->finished && tracker_->outcome ? *tracker_->outcome : none;
}

const berth::diagnostics& pull_stream::diag() const {
  static const berth::diagnostics none{};
  if (!tracker_) return none;
  std::lock_guard<std::mutex> l(tracker_->mu);
  return tracker_->finished ? tracker_->diag : none;
}

asio::awaitable<result<pull_progress>> pull_stream::do_next(std::shared_ptr<detail::pull_tracker> t) {
  if (!t) co_return unexpected(berth::errc::stream_closed);
  for (;;) {
    {
      std::lock_guard<std::mutex> l(t->mu);
      if (!t->dirty.empty()) {
        pull_progress p = t->latest.at(t->dirty.front());
        t->dirty.pop_front();
        co_return p;
      }
      if (t->finished) {
        if (t->outcome) co_return unexpected(make_error_code(asio::error::eof));
        co_return unexpected(t->outcome.error());
      }
    }
    bool cancelled = co_await detail::await_change(t);
    if (cancelled) {
      t->cancel->store(true);
      co_return unexpected(berth::errc::cancelled);
    }
  }
}

pull_progress pull_stream::next(std::error_code& ec) {
  if (!tracker_) {
    ec = berth::errc::stream_closed;
    return {};
  }
  auto r = tracker_->s->host->run<pull_progress>([&](auto h) { async_next(std::move(h)); });
  return value_or_set(std::move(r), ec);
}

pull_progress pull_stream::next() {
  std::error_code ec;
  auto p = next(ec);
  throw_if(ec);
  return p;
}

}  // namespace berth::containerd
