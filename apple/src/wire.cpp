// Request encoders and reply decoders, one pair per route.
#include "wire.hpp"

#include <string>

#include "berth/apple/routes.hpp"

namespace berth::apple::wire {
namespace {

// Builds a request; the first encoding failure sticks.
struct request_builder {
  message m;
  std::error_code ec{};

  explicit request_builder(std::string_view route) : m(make_request(route)) {}

  void str(std::string_view key, const std::string& v) { m.set_string(std::string(key), v); }
  void opt_str(std::string_view key, const std::optional<std::string>& v) {
    if (v) str(key, *v);
  }
  void boolean(std::string_view key, bool v) { m.set_bool(std::string(key), v); }
  void i64(std::string_view key, std::int64_t v) { m.set_int64(std::string(key), v); }
  void u64(std::string_view key, std::uint64_t v) { m.set_uint64(std::string(key), v); }
  void fd(std::string_view key, const shared_fd& v) {
    if (v) m.set_fd(std::string(key), v);
  }
  template <class T>
  void json(std::string_view key, const T& v) {
    if (ec) return;
    auto text = to_json(v);
    if (!text) {
      ec = text.error();
      return;
    }
    m.set_data(std::string(key), std::move(*text));
  }
  template <class T>
  void opt_json(std::string_view key, const std::optional<T>& v) {
    if (v) json(key, *v);
  }
  void stdio(const stdio_fds& s) {
    fd(keys::stdin_, s.in);
    fd(keys::stdout_, s.out);
    fd(keys::stderr_, s.err);
  }
  result<message> done() {
    if (ec) return unexpected(ec);
    return std::move(m);
  }
};

// Reads the success keys of a reply; the first failure sticks, with its diagnostics.
struct reply_reader {
  const message& m;
  std::string_view route;
  berth::diagnostics* diag;
  std::error_code ec{};

  bool failed() const { return static_cast<bool>(ec); }

  void bad(std::string_view key, std::string_view what) {
    if (ec) return;
    ec = xpc_errc::bad_reply;
    if (diag) {
      diag->clear();
      diag->request_id.assign(route);
      diag->set_message(std::string(route) + ": reply key " + std::string(key) + " " + std::string(what));
    }
  }
  // The value at key when it has kind k; reports a missing or mis-kinded key when required.
  const value* at(std::string_view key, value_kind k, bool required) {
    if (ec) return nullptr;
    const value* v = m.find(key);
    if (!v) {
      if (required) bad(key, "missing");
      return nullptr;
    }
    if (v->kind() != k) {
      bad(key, "is " + std::string(kind_name(v->kind())) + ", expected " + std::string(kind_name(k)));
      return nullptr;
    }
    return v;
  }
  std::string str(std::string_view key) {
    const value* v = at(key, value_kind::string, true);
    return v ? *v->get_if<std::string>() : std::string();
  }
  std::optional<std::string> opt_str(std::string_view key) {
    const value* v = at(key, value_kind::string, false);
    if (!v) return std::nullopt;
    return *v->get_if<std::string>();
  }
  std::int64_t i64(std::string_view key) {
    const value* v = at(key, value_kind::int64, true);
    return v ? *v->get_if<std::int64_t>() : 0;
  }
  std::uint64_t u64(std::string_view key) {
    const value* v = at(key, value_kind::uint64, true);
    return v ? *v->get_if<std::uint64_t>() : 0;
  }
  xpc_date date(std::string_view key) {
    const value* v = at(key, value_kind::date, true);
    return v ? *v->get_if<xpc_date>() : xpc_date{};
  }
  shared_fd fd(std::string_view key) {
    const value* v = at(key, value_kind::fd, true);
    return v ? *v->get_if<shared_fd>() : shared_fd{};
  }
  template <class T>
  void decode_json(std::string_view key, const std::string& text, T& out) {
    std::string path;
    auto r = parse<T>(text, path);
    if (!r) {
      bad(key, "JSON: " + (path.empty() ? std::string() : path + ": ") + r.error().message());
      return;
    }
    out = std::move(*r);
  }
  template <class T>
  void decode_json(std::string_view key, const std::string& text, std::vector<T>& out) {
    std::string path;
    auto r = parse_array<T>(text, path);
    if (!r) {
      bad(key, "JSON: " + (path.empty() ? std::string() : path + ": ") + r.error().message());
      return;
    }
    out = std::move(*r);
  }
  // A JSON payload: required, or (present = false) absent allowed.
  template <class T>
  bool json(std::string_view key, T& out, bool required = true) {
    const value* v = at(key, value_kind::data, required);
    if (!v) return false;
    decode_json(key, v->get_if<bytes>()->value, out);
    return !ec;
  }
  template <class R>
  result<R> done(R v) {
    if (ec) return unexpected(ec);
    if (diag) diag->clear();
    return v;
  }
};

template <class Op>
reply_reader reader(const message& reply, berth::diagnostics* diag) {
  return reply_reader{reply, Op::route, diag};
}

// Every decoder starts here: the error key wins.
#define BERTH_APPLE_CHECK_ERROR(Op)                               \
  if (auto err = inband_error(reply, diag)) {                     \
    if (diag) diag->request_id.assign(Op::route);                 \
    return unexpected(err);                                       \
  }                                                               \
  auto r = reader<Op>(reply, diag)

template <class Op>
result<empty> no_payload(const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(Op);
  return r.done(empty{});
}

}  // namespace

std::error_code inband_error(const message& reply, berth::diagnostics* diag) {
  const value* v = reply.find(keys::error);
  if (!v) return {};
  if (const bytes* b = v->get_if<bytes>()) return map_inband_error(b->value, diag);
  // An error key of another kind: still an error, its content unreadable.
  if (diag) {
    diag->clear();
    diag->set_message("error key is " + std::string(kind_name(v->kind())) + ", expected data");
  }
  return errc::unknown;
}

// ---- apiserver ----

result<message> encode(const op::ping&) { return make_request(op::ping::route); }
result<system_info> decode(const op::ping&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::ping);
  system_info s;
  s.app_root = r.str(keys::app_root);
  s.install_root = r.str(keys::install_root);
  s.log_root = r.opt_str(keys::log_root);
  s.api_server_version = r.str(keys::api_server_version);
  s.api_server_commit = r.str(keys::api_server_commit);
  s.api_server_build = r.str(keys::api_server_build);
  s.api_server_app_name = r.str(keys::api_server_app_name);
  return r.done(std::move(s));
}

result<message> encode(const op::container_list& o) {
  request_builder b(o.route);
  b.opt_json(keys::list_filters, o.filters);
  return b.done();
}
result<std::vector<container_snapshot>> decode(const op::container_list&, const message& reply,
                                               berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::container_list);
  std::vector<container_snapshot> out;  // containers absent: none
  r.json(keys::containers, out, false);
  return r.done(std::move(out));
}

result<message> encode(const op::container_create& o) {
  request_builder b(o.route);
  b.json(keys::container_config, o.config);
  b.json(keys::kernel, o.kernel);
  b.opt_json(keys::container_options, o.options);
  b.opt_str(keys::init_image, o.init_image);
  if (o.runtime_data) b.m.set_data(std::string(keys::runtime_data), *o.runtime_data);
  return b.done();
}
result<empty> decode(const op::container_create&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_create>(reply, diag);
}

result<message> encode(const op::container_bootstrap& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.stdio(o.stdio);
  b.opt_json(keys::dynamic_env, o.dynamic_env);
  return b.done();
}
result<empty> decode(const op::container_bootstrap&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_bootstrap>(reply, diag);
}

result<message> encode(const op::container_create_process& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::process_identifier, o.process_id);
  b.json(keys::process_config, o.config);
  b.stdio(o.stdio);
  return b.done();
}
result<empty> decode(const op::container_create_process&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_create_process>(reply, diag);
}

result<message> encode(const op::container_start_process& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::process_identifier, o.process_id);
  return b.done();
}
result<empty> decode(const op::container_start_process&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_start_process>(reply, diag);
}

result<message> encode(const op::container_wait& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::process_identifier, o.process_id);
  return b.done();
}
result<exit_info> decode(const op::container_wait&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::container_wait);
  exit_info e;
  e.exit_code = r.i64(keys::exit_code);
  e.exited_at = r.date(keys::exited_at);
  return r.done(e);
}

result<message> encode(const op::container_kill& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::process_identifier, o.process_id);
  b.str(keys::signal, o.signal);  // a string: the server reads it with the string getter
  return b.done();
}
result<empty> decode(const op::container_kill&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_kill>(reply, diag);
}

result<message> encode(const op::container_resize& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::process_identifier, o.process_id);
  b.u64(keys::width, o.width);
  b.u64(keys::height, o.height);
  return b.done();
}
result<empty> decode(const op::container_resize&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_resize>(reply, diag);
}

result<message> encode(const op::container_stop& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.json(keys::stop_options, o.options);
  return b.done();
}
result<empty> decode(const op::container_stop&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_stop>(reply, diag);
}

result<message> encode(const op::container_delete& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.boolean(keys::force_delete, o.force);
  return b.done();
}
result<empty> decode(const op::container_delete&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_delete>(reply, diag);
}

result<message> encode(const op::container_logs& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  return b.done();
}
result<log_fds> decode(const op::container_logs&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::container_logs);
  log_fds out;
  const value* v = r.at(keys::logs, value_kind::array, true);
  if (v) {
    const apple::array& a = *v->get_if<apple::array>();
    const shared_fd* f0 = a.size() == 2 ? a[0].get_if<shared_fd>() : nullptr;
    const shared_fd* f1 = a.size() == 2 ? a[1].get_if<shared_fd>() : nullptr;
    if (!f0 || !f1) {
      r.bad(keys::logs, "is not an array of two fds");
    } else {
      out.stdio_log = *f0;
      out.boot_log = *f1;
    }
  }
  return r.done(std::move(out));
}

result<message> encode(const op::container_dial& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.u64(keys::port, o.port);
  return b.done();
}
result<shared_fd> decode(const op::container_dial&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::container_dial);
  shared_fd f = r.fd(keys::fd);
  return r.done(std::move(f));
}

result<message> encode(const op::container_stats& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  return b.done();
}
result<container_stats> decode(const op::container_stats&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::container_stats);
  container_stats s;
  r.json(keys::statistics, s);
  return r.done(std::move(s));
}

result<message> encode(const op::container_disk_usage& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  return b.done();
}
result<std::uint64_t> decode(const op::container_disk_usage&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::container_disk_usage);
  const std::uint64_t n = r.u64(keys::container_size);
  return r.done(n);
}

result<message> encode(const op::container_copy_in& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::source_path, o.source_path);
  b.str(keys::destination_path, o.destination_path);
  b.u64(keys::file_mode, o.file_mode);
  b.boolean(keys::create_parents, o.create_parents);
  return b.done();
}
result<empty> decode(const op::container_copy_in&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_copy_in>(reply, diag);
}

result<message> encode(const op::container_copy_out& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::source_path, o.source_path);
  b.str(keys::destination_path, o.destination_path);
  b.boolean(keys::create_parents, o.create_parents);
  return b.done();
}
result<empty> decode(const op::container_copy_out&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_copy_out>(reply, diag);
}

result<message> encode(const op::container_export& o) {
  request_builder b(o.route);
  b.str(keys::id, o.id);
  b.str(keys::archive, o.archive);
  return b.done();
}
result<empty> decode(const op::container_export&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::container_export>(reply, diag);
}

result<message> encode(const op::get_default_kernel& o) {
  request_builder b(o.route);
  b.json(keys::system_platform, o.platform);
  return b.done();
}
result<kernel> decode(const op::get_default_kernel&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::get_default_kernel);
  kernel k;
  r.json(keys::kernel, k);
  return r.done(std::move(k));
}

result<message> encode(const op::install_kernel& o) {
  request_builder b(o.route);
  b.str(keys::kernel_file_path, o.kernel_file_path);
  b.json(keys::system_platform, o.platform);
  b.boolean(keys::kernel_force, o.force);
  b.opt_str(keys::kernel_tar_url, o.tar_url);
  b.opt_str(keys::kernel_digest, o.digest);
  return b.done();
}
result<empty> decode(const op::install_kernel&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::install_kernel>(reply, diag);
}

result<message> encode(const op::network_create& o) {
  request_builder b(o.route);
  b.str(keys::network_id, o.network_id);
  b.json(keys::network_config, o.config);
  return b.done();
}
result<network_resource> decode(const op::network_create&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::network_create);
  network_resource n;
  r.json(keys::network_resource, n);
  return r.done(std::move(n));
}

result<message> encode(const op::network_list& o) { return make_request(o.route); }
result<std::vector<network_resource>> decode(const op::network_list&, const message& reply,
                                             berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::network_list);
  std::vector<network_resource> out;
  r.json(keys::network_resources, out);
  return r.done(std::move(out));
}

result<message> encode(const op::network_delete& o) {
  request_builder b(o.route);
  b.str(keys::network_id, o.network_id);
  return b.done();
}
result<empty> decode(const op::network_delete&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::network_delete>(reply, diag);
}

result<message> encode(const op::volume_create& o) {
  request_builder b(o.route);
  b.str(keys::volume_name, o.name);
  b.str(keys::volume_driver, o.driver);
  b.json(keys::volume_driver_opts, o.driver_opts);
  b.json(keys::volume_labels, o.labels);
  return b.done();
}
result<volume_configuration> decode(const op::volume_create&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::volume_create);
  volume_configuration v;
  r.json(keys::volume, v);
  return r.done(std::move(v));
}

result<message> encode(const op::volume_list& o) { return make_request(o.route); }
result<std::vector<volume_configuration>> decode(const op::volume_list&, const message& reply,
                                                 berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::volume_list);
  std::vector<volume_configuration> out;
  r.json(keys::volumes, out);
  return r.done(std::move(out));
}

result<message> encode(const op::volume_inspect& o) {
  request_builder b(o.route);
  b.str(keys::volume_name, o.name);
  return b.done();
}
result<volume_configuration> decode(const op::volume_inspect&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::volume_inspect);
  volume_configuration v;
  r.json(keys::volume, v);
  return r.done(std::move(v));
}

result<message> encode(const op::volume_delete& o) {
  request_builder b(o.route);
  b.str(keys::volume_name, o.name);
  return b.done();
}
result<empty> decode(const op::volume_delete&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::volume_delete>(reply, diag);
}

result<message> encode(const op::volume_disk_usage& o) {
  request_builder b(o.route);
  b.str(keys::volume_name, o.name);
  return b.done();
}
result<std::uint64_t> decode(const op::volume_disk_usage&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::volume_disk_usage);
  const std::uint64_t n = r.u64(keys::volume_size);
  return r.done(n);
}

result<message> encode(const op::system_disk_usage& o) { return make_request(o.route); }
result<disk_usage_stats> decode(const op::system_disk_usage&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::system_disk_usage);
  disk_usage_stats s;
  r.json(keys::disk_usage_stats, s);
  return r.done(std::move(s));
}

result<message> encode(const op::plugin_list& o) { return make_request(o.route); }
result<raw_json> decode(const op::plugin_list&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::plugin_list);
  raw_json j;
  r.json(keys::plugins, j);
  return r.done(std::move(j));
}

namespace {
template <class Op>
result<message> plugin_request(const Op& o) {
  request_builder b(o.route);
  b.str(keys::plugin_name, o.name);
  return b.done();
}
}  // namespace

result<message> encode(const op::plugin_get& o) { return plugin_request(o); }
result<raw_json> decode(const op::plugin_get&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::plugin_get);
  raw_json j;
  r.json(keys::plugin, j);
  return r.done(std::move(j));
}
result<message> encode(const op::plugin_load& o) { return plugin_request(o); }
result<empty> decode(const op::plugin_load&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::plugin_load>(reply, diag);
}
result<message> encode(const op::plugin_unload& o) { return plugin_request(o); }
result<empty> decode(const op::plugin_unload&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::plugin_unload>(reply, diag);
}
result<message> encode(const op::plugin_restart& o) { return plugin_request(o); }
result<empty> decode(const op::plugin_restart&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::plugin_restart>(reply, diag);
}

// ---- images ----

result<message> encode(const op::image_list& o) { return make_request(o.route); }
result<std::vector<image_description>> decode(const op::image_list&, const message& reply,
                                              berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::image_list);
  std::vector<image_description> out;
  r.json(keys::image_descriptions, out);
  return r.done(std::move(out));
}

result<message> encode(const op::image_pull& o) {
  request_builder b(o.route);
  b.str(keys::image_reference, o.reference);
  b.opt_json(keys::oci_platform, o.platform);
  b.boolean(keys::insecure_flag, o.insecure);
  b.i64(keys::max_concurrent_downloads, o.max_concurrent_downloads);
  return b.done();
}
result<image_description> decode(const op::image_pull&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::image_pull);
  image_description d;
  r.json(keys::image_description, d);
  return r.done(std::move(d));
}

result<message> encode(const op::image_push& o) {
  request_builder b(o.route);
  b.str(keys::image_reference, o.reference);
  b.opt_json(keys::oci_platform, o.platform);
  b.boolean(keys::insecure_flag, o.insecure);
  return b.done();
}
result<empty> decode(const op::image_push&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::image_push>(reply, diag);
}

result<message> encode(const op::image_tag& o) {
  request_builder b(o.route);
  b.str(keys::image_reference, o.reference);
  b.str(keys::image_new_reference, o.new_reference);
  return b.done();
}
result<image_description> decode(const op::image_tag&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::image_tag);
  image_description d;
  r.json(keys::image_description, d);
  return r.done(std::move(d));
}

result<message> encode(const op::image_delete& o) {
  request_builder b(o.route);
  b.str(keys::image_reference, o.reference);
  b.boolean(keys::garbage_collect, o.garbage_collect);
  return b.done();
}
result<empty> decode(const op::image_delete&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::image_delete>(reply, diag);
}

result<message> encode(const op::image_save& o) {
  request_builder b(o.route);
  if (!b.ec) {
    auto text = to_json(o.images);
    if (!text) return unexpected(text.error());
    b.m.set_data(std::string(keys::image_descriptions), std::move(*text));
  }
  b.str(keys::file_path, o.file_path);
  b.opt_json(keys::oci_platform, o.platform);
  return b.done();
}
result<empty> decode(const op::image_save&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::image_save>(reply, diag);
}

result<message> encode(const op::image_load& o) {
  request_builder b(o.route);
  b.str(keys::file_path, o.file_path);
  b.boolean(keys::force_load, o.force);
  return b.done();
}
result<image_load_result> decode(const op::image_load&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::image_load);
  image_load_result out;
  r.json(keys::image_descriptions, out.images);
  raw_json rejected;
  if (r.json(keys::rejected_members, rejected, false)) out.rejected_members = std::move(rejected);
  return r.done(std::move(out));
}

result<message> encode(const op::image_unpack& o) {
  request_builder b(o.route);
  b.json(keys::image_description, o.image);
  b.opt_json(keys::oci_platform, o.platform);
  return b.done();
}
result<empty> decode(const op::image_unpack&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::image_unpack>(reply, diag);
}

result<message> encode(const op::snapshot_get& o) {
  request_builder b(o.route);
  b.json(keys::image_description, o.image);
  b.json(keys::oci_platform, o.platform);
  return b.done();
}
result<filesystem> decode(const op::snapshot_get&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::snapshot_get);
  filesystem f;
  r.json(keys::filesystem, f);
  return r.done(std::move(f));
}

result<message> encode(const op::snapshot_delete& o) {
  request_builder b(o.route);
  b.json(keys::image_description, o.image);
  b.json(keys::oci_platform, o.platform);
  return b.done();
}
result<empty> decode(const op::snapshot_delete&, const message& reply, berth::diagnostics* diag) {
  return no_payload<op::snapshot_delete>(reply, diag);
}

result<message> encode(const op::content_get& o) {
  request_builder b(o.route);
  b.str(keys::digest, o.digest);
  return b.done();
}
result<std::string> decode(const op::content_get&, const message& reply, berth::diagnostics* diag) {
  BERTH_APPLE_CHECK_ERROR(op::content_get);
  std::string p = r.str(keys::content_path);
  return r.done(std::move(p));
}

}  // namespace berth::apple::wire
