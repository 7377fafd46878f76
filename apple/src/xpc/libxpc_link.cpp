// The only translation unit that touches libxpc: one link per xpc connection, and the
// conversions between berth's message and xpc objects (APPLE.md §1.2, §1.5, §1.9).
//
// Built on macOS (BERTH_HAVE_APPLE_XPC). Elsewhere clang compiles it (-fblocks, never
// linked) against xpc_decls.h, so it includes only the standard library, berth/core,
// berth/apple/message.hpp and the private link seam: no Asio, no RapidJSON.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "berth/apple/message.hpp"
#include "xpc/link.hpp"
#include "xpc/xpc_include.hpp"

namespace berth::apple::detail {
namespace {

// ---- message to xpc ----

xpc_object_t to_xpc(const dictionary& d, bool& ok);

// One value as a new xpc object (the caller releases it); NULL when it cannot be made.
xpc_object_t to_xpc_value(const value& v, bool& ok) {
  static const char no_bytes = 0;  // xpc_data_create wants non-NULL bytes even when empty
  if (auto* s = v.get_if<std::string>()) return xpc_string_create(s->c_str());
  if (auto* b = v.get_if<bytes>())
    return xpc_data_create(b->value.empty() ? &no_bytes : b->value.data(), b->value.size());
  if (auto* x = v.get_if<bool>()) return xpc_bool_create(*x);
  if (auto* i = v.get_if<std::int64_t>()) return xpc_int64_create(*i);
  if (auto* u = v.get_if<std::uint64_t>()) return xpc_uint64_create(*u);
  if (auto* t = v.get_if<xpc_date>()) return xpc_date_create(t->unix_ns);
  if (auto* f = v.get_if<shared_fd>()) return xpc_fd_create(f->get());  // dups the fd
  if (auto* a = v.get_if<apple::array>()) {
    xpc_object_t arr = xpc_array_create(NULL, 0);
    for (const value& e : *a) {
      xpc_object_t o = to_xpc_value(e, ok);
      if (!o) {
        ok = false;
        continue;
      }
      xpc_array_append_value(arr, o);
      xpc_release(o);
    }
    return arr;
  }
  if (auto* d = v.get_if<dictionary>()) return to_xpc(*d, ok);
  return NULL;
}

// A new xpc dictionary; ok turns false when a value could not be converted (an fd libxpc
// refused): the caller then sends nothing.
xpc_object_t to_xpc(const dictionary& d, bool& ok) {
  xpc_object_t out = xpc_dictionary_create(NULL, NULL, 0);
  for (const auto& [k, v] : d) {
    xpc_object_t o = to_xpc_value(v, ok);
    if (!o) {
      ok = false;
      continue;
    }
    xpc_dictionary_set_value(out, k.c_str(), o);  // retains o
    xpc_release(o);
  }
  return out;
}

// ---- xpc to message ----

bool from_xpc_value(xpc_object_t o, value& out);

message from_xpc(xpc_object_t d) {
  message m;
  message* mp = &m;
  xpc_dictionary_apply(d, ^bool(const char* key, xpc_object_t v) {
    value converted{false};
    if (from_xpc_value(v, converted)) mp->set(std::string(key), std::move(converted));
    return true;
  });
  return m;
}

// Converts one object; false for the kinds no route uses (null, double, uuid, shmem,
// endpoint, connection) and for an fd libxpc cannot dup: the key is then left out and the
// route's decoder reports it missing.
bool from_xpc_value(xpc_object_t o, value& out) {
  const xpc_type_t t = xpc_get_type(o);
  if (t == XPC_TYPE_STRING) {
    out = value(std::string(xpc_string_get_string_ptr(o), xpc_string_get_length(o)));
  } else if (t == XPC_TYPE_DATA) {
    const void* p = xpc_data_get_bytes_ptr(o);
    const std::size_t n = xpc_data_get_length(o);
    out = value(bytes{p ? std::string(static_cast<const char*>(p), n) : std::string()});
  } else if (t == XPC_TYPE_BOOL) {
    out = value(xpc_bool_get_value(o));
  } else if (t == XPC_TYPE_INT64) {
    out = value(static_cast<std::int64_t>(xpc_int64_get_value(o)));
  } else if (t == XPC_TYPE_UINT64) {
    out = value(static_cast<std::uint64_t>(xpc_uint64_get_value(o)));
  } else if (t == XPC_TYPE_DATE) {
    out = value(xpc_date{xpc_date_get_value(o)});
  } else if (t == XPC_TYPE_FD) {
    const int fd = xpc_fd_dup(o);  // ours to close
    if (fd < 0) return false;
    out = value(shared_fd::adopt(fd));
  } else if (t == XPC_TYPE_ARRAY) {
    apple::array a;
    apple::array* ap = &a;
    xpc_array_apply(o, ^bool(size_t, xpc_object_t e) {
      value converted{false};
      if (from_xpc_value(e, converted)) ap->push_back(std::move(converted));
      return true;
    });
    out = value(std::move(a));
  } else if (t == XPC_TYPE_DICTIONARY) {
    out = value(from_xpc(o));
  } else {
    return false;
  }
  return true;
}

// What a reply handler received.
link_result from_reply(xpc_object_t r) {
  link_result out;
  const xpc_type_t t = xpc_get_type(r);
  if (t == XPC_TYPE_ERROR) {
    out.status = r == XPC_ERROR_CONNECTION_INTERRUPTED ? link_status::interrupted : link_status::invalid;
    if (const char* d = xpc_dictionary_get_string(r, XPC_ERROR_KEY_DESCRIPTION)) out.description = d;
  } else if (t == XPC_TYPE_DICTIONARY) {
    out.status = link_status::reply;
    out.reply = from_xpc(r);
  } else {
    out.status = link_status::not_a_dictionary;
  }
  return out;
}

// ---- the link ----

class libxpc_link final : public link {
 public:
  explicit libxpc_link(const std::string& name) : invalid_(std::make_shared<std::atomic<bool>>(false)) {
    // Flags 0 (not XPC_CONNECTION_MACH_SERVICE_PRIVILEGED): the apiserver is a per-user
    // LaunchAgent in the caller's launchd domain. NULL queue: libdispatch's default target.
    conn_ = xpc_connection_create_mach_service(name.c_str(), NULL, 0);
    std::weak_ptr<std::atomic<bool>> w = invalid_;
    // A client connection receives only errors here.
    xpc_connection_set_event_handler(conn_, ^(xpc_object_t ev) {
      if (ev == XPC_ERROR_CONNECTION_INVALID) {
        if (auto p = w.lock()) p->store(true);
      }
    });
    xpc_connection_activate(conn_);
  }

  ~libxpc_link() override {
    // Active, never suspended: cancelling then releasing is allowed. Pending reply handlers
    // run with XPC_ERROR_CONNECTION_INVALID.
    xpc_connection_cancel(conn_);
    xpc_release(conn_);
  }

  libxpc_link(const libxpc_link&) = delete;
  libxpc_link& operator=(const libxpc_link&) = delete;

  void send(const message& m, std::function<void(link_result)> cb) override {
    bool ok = true;
    xpc_object_t req = to_xpc(m, ok);  // fds: xpc_fd_create dups them; ours stay ours
    if (!ok) {
      xpc_release(req);
      link_result r;
      r.status = link_status::invalid;
      r.description = "a value of the request could not be converted to xpc";
      cb(std::move(r));
      return;
    }
    // The block copies holder (a shared_ptr) when libxpc copies the block.
    auto holder = std::make_shared<std::function<void(link_result)>>(std::move(cb));
    xpc_connection_send_message_with_reply(conn_, req, NULL, ^(xpc_object_t r) {
      (*holder)(from_reply(r));  // r is not ours to release
    });
    xpc_release(req);
  }

  void cancel() noexcept override {
    invalid_->store(true);
    xpc_connection_cancel(conn_);
  }

  bool invalid() const noexcept override { return invalid_->load(); }

 private:
  xpc_connection_t conn_ = NULL;
  std::shared_ptr<std::atomic<bool>> invalid_;
};

class libxpc_driver final : public link_driver {
 public:
  std::shared_ptr<link> open(std::string_view mach_service) override {
    return std::make_shared<libxpc_link>(std::string(mach_service));
  }
};

}  // namespace

std::shared_ptr<link_driver> make_libxpc_driver() { return std::make_shared<libxpc_driver>(); }

}  // namespace berth::apple::detail
