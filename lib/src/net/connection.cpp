#include "net/connection.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <fstream>

#include <asio/connect.hpp>
#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#if BERTH_HAVE_TLS
#include <asio/ssl/host_name_verification.hpp>
#include <openssl/ssl.h>
#endif

namespace berth::net {
namespace {

inline auto use_awaitable_ec(std::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

bool readable_file(const std::string& path) {
  std::ifstream f(path);
  return f.good();
}

}  // namespace

result<std::shared_ptr<tls_context>> make_tls_context(const tls_options& opts) {
#if BERTH_HAVE_TLS
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  std::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1,
                   ec);
  if (opts.verify) {
    ctx->set_verify_mode(asio::ssl::verify_peer, ec);
    if (!opts.ca_file.empty()) {
      if (!readable_file(opts.ca_file)) return unexpected(error::tls_material);
      ctx->load_verify_file(opts.ca_file, ec);
      if (ec) return unexpected(error::tls_material);
    } else {
      ctx->set_default_verify_paths(ec);
      if (ec) return unexpected(error::tls_material);
    }
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (!opts.cert_file.empty() || !opts.key_file.empty()) {
    if (opts.cert_file.empty() || opts.key_file.empty() || !readable_file(opts.cert_file) ||
        !readable_file(opts.key_file))
      return unexpected(error::tls_material);
    ctx->use_certificate_chain_file(opts.cert_file, ec);
    if (ec) return unexpected(error::tls_material);
    ctx->use_private_key_file(opts.key_file, asio::ssl::context::pem, ec);
    if (ec) return unexpected(error::tls_material);
  }
  return ctx;
#else
  (void)opts;
  return unexpected(error::tls_unavailable);
#endif
}

connection::connection(executor_type ex, const endpoint& ep, std::shared_ptr<tls_context> tls)
    : sock_(std::in_place_type<unix_socket>, ex), ex_(ex), tls_(std::move(tls)), timer_(ex) {
  switch (ep.kind) {
    case endpoint::transport::unix_socket:
      break;
    case endpoint::transport::tcp:
      sock_.emplace<tcp_socket>(ex);
      break;
    case endpoint::transport::tls:
#if BERTH_HAVE_TLS
      sock_.emplace<tls_socket>(ex, *tls_);
#endif
      break;
  }
}

connection::~connection() { close(); }

int connection::native_handle() const noexcept {
  return std::visit(
      [](auto& s) -> int {
        auto& ll = const_cast<std::remove_cvref_t<decltype(s)>&>(s).lowest_layer();
        return ll.is_open() ? static_cast<int>(ll.native_handle()) : -1;
      },
      sock_);
}

bool connection::is_open() const noexcept { return !closed_ && native_handle() >= 0; }

void connection::cancel() noexcept {
  std::visit(
      [](auto& s) {
        std::error_code ignored;
        s.lowest_layer().cancel(ignored);
      },
      sock_);
  if (resolving_) resolving_->cancel();
}

void connection::close() noexcept {
  if (closed_) return;
  closed_ = true;
  disarm();
  if (resolving_) resolving_->cancel();
  std::visit(
      [](auto& s) {
        std::error_code ignored;
        s.lowest_layer().close(ignored);
      },
      sock_);
}

bool connection::is_stale() const noexcept {
  int fd = native_handle();
  if (fd < 0 || closed_) return true;
  char probe;
  ssize_t n = ::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  return true;  // 0: the peer closed; >0: unsolicited bytes.
}

void connection::arm(clock::time_point deadline) {
  if (deadline == no_deadline) {
    disarm();
    return;
  }
  // Still armed for this very deadline (write(keep_armed)): the pending wait stands.
  if (armed_ && !timed_out_ && timer_.expiry() == deadline) return;
  timer_.expires_at(deadline);
  armed_ = true;
  auto g = ++gen_;
  timer_.async_wait([w = weak_from_this(), g](std::error_code ec) {
    if (ec) return;
    auto self = w.lock();
    if (!self || self->gen_ != g || !self->armed_) return;
    self->timed_out_ = true;
    self->cancel();
  });
}

void connection::disarm() noexcept {
  if (armed_) {
    armed_ = false;
    ++gen_;
    timer_.cancel();
  }
}

void connection::settle(std::error_code& ec) noexcept {
  // A deadline that fired after the operation had already succeeded (its completion and
  // the timer's were queued together) cancelled nothing: it must not make the connection
  // read as timed out, nor leave the timer armed.
  if (!ec) timed_out_ = false;
  ec = map_error(ec);
  if (!timed_out_) disarm();
}

std::error_code connection::map_error(std::error_code ec) noexcept {
  if (!ec) return ec;
  if (timed_out_) return make_error_code(errc::timeout);
  // A pending operation interrupted by cancel() or close() was cancelled by the caller
  // (connection.hpp, berth::errc::cancelled); stream_closed is for operations started
  // after close(), which read_some() and write() refuse up front.
  if (ec == asio::error::operation_aborted) return make_error_code(errc::cancelled);
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted)
    return make_error_code(errc::connection_lost);
#if BERTH_HAVE_TLS
  if (ec == asio::ssl::error::stream_truncated) return asio::error::eof;
#endif
  // Asio's own system category does not compare equal to std::errc conditions.
  if (ec.category() == asio::error::get_system_category())
    return std::error_code(ec.value(), std::system_category());
  return ec;
}

asio::awaitable<result<std::shared_ptr<connection>>> connection::open(
    executor_type ex, endpoint ep, std::shared_ptr<tls_context> tls, clock::time_point deadline) {
  if (ep.kind == endpoint::transport::tls && !tls) co_return unexpected(error::tls_unavailable);
  std::shared_ptr<connection> c(new connection(ex, ep, tls));
  std::error_code ec;
  c->arm(deadline);
  if (ep.kind == endpoint::transport::unix_socket) {
    if (ep.path.size() >= sizeof(sockaddr_un{}.sun_path)) co_return unexpected(error::path_too_long);
    auto& s = std::get<unix_socket>(c->sock_);
    co_await s.async_connect(asio::local::stream_protocol::endpoint(ep.path), use_awaitable_ec(ec));
  } else {
    asio::ip::tcp::resolver resolver(ex);
    c->resolving_ = &resolver;
    auto results = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                   use_awaitable_ec(ec));
    c->resolving_ = nullptr;
    if (!ec) {
      auto& tcp = std::visit(
          [](auto& s) -> tcp_socket& {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(s)>, unix_socket>)
              throw std::logic_error("unreachable");
            else
              return static_cast<tcp_socket&>(s.lowest_layer());
          },
          c->sock_);
      co_await asio::async_connect(tcp, results, use_awaitable_ec(ec));
      if (!ec) tcp.set_option(asio::ip::tcp::no_delay(true), ec);
    }
#if BERTH_HAVE_TLS
    if (!ec && ep.kind == endpoint::transport::tls) {
      auto& s = std::get<tls_socket>(c->sock_);
      const std::string& name = ep.tls.server_name.empty() ? ep.host : ep.tls.server_name;
      std::error_code addr_ec;
      asio::ip::make_address(name, addr_ec);
      if (addr_ec) SSL_set_tlsext_host_name(s.native_handle(), name.c_str());
      if (ep.tls.verify) s.set_verify_callback(asio::ssl::host_name_verification(name));
      co_await s.async_handshake(asio::ssl::stream_base::client, use_awaitable_ec(ec));
      if (ec && !c->timed_out_ && ec != asio::error::operation_aborted)
        ec = make_error_code(error::tls_handshake);
    }
#endif
  }
  ec = c->map_error(ec);
  c->disarm();
  if (ec) co_return unexpected(ec);
  co_return c;
}

asio::awaitable<std::size_t> connection::read_some(asio::mutable_buffer buf,
                                                   clock::time_point deadline,
                                                   std::error_code& ec) {
  ec.clear();
  if (closed_) {
    ec = make_error_code(errc::stream_closed);
    co_return 0;
  }
  arm(deadline);
  std::size_t n = co_await std::visit(
      [&](auto& s) { return s.async_read_some(buf, use_awaitable_ec(ec)); }, sock_);
  settle(ec);
  co_return n;
}

asio::awaitable<void> connection::write(std::span<const asio::const_buffer> bufs,
                                        clock::time_point deadline, std::error_code& ec,
                                        bool keep_armed) {
  ec.clear();
  if (closed_) {
    ec = make_error_code(errc::stream_closed);
    co_return;
  }
  arm(deadline);
  // Unix and TCP sockets: one send that does not wait first. A request head (and a small
  // body) nearly always fits the socket buffer, and then no operation has to be queued,
  // completed and resumed; what did not fit is written the usual way.
  std::array<asio::const_buffer, 8> rest;
  std::size_t nrest = 0;
  const int fd = std::holds_alternative<unix_socket>(sock_) ||
                         std::holds_alternative<tcp_socket>(sock_)
                     ? native_handle()
                     : -1;
  if (fd >= 0 && bufs.size() <= rest.size()) {
    std::array<iovec, 8> iov;
    std::size_t total = 0;
    for (std::size_t i = 0; i < bufs.size(); ++i) {
      iov[i].iov_base = const_cast<void*>(bufs[i].data());
      iov[i].iov_len = bufs[i].size();
      total += bufs[i].size();
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = bufs.size();
    ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      ec = std::error_code(errno, asio::error::get_system_category());
      settle(ec);
      co_return;
    }
    std::size_t sent = n > 0 ? static_cast<std::size_t>(n) : 0;
    if (sent == total) {
      if (keep_armed && !timed_out_) co_return;
      settle(ec);
      co_return;
    }
    for (const auto& b : bufs) {
      if (sent >= b.size()) {
        sent -= b.size();
        continue;
      }
      rest[nrest++] = b + sent;
      sent = 0;
    }
    bufs = std::span<const asio::const_buffer>(rest.data(), nrest);
  }
  co_await std::visit(
      [&](auto& s) { return asio::async_write(s, bufs, use_awaitable_ec(ec)); }, sock_);
  // A deadline that already fired goes through settle(): the next read re-arms it and
  // times out at once, as it would have without keep_armed.
  if (keep_armed && !ec && !timed_out_) co_return;
  settle(ec);
}

void connection::shutdown_send(std::error_code& ec) {
  if (closed_) {
    ec = make_error_code(errc::stream_closed);
    return;
  }
  // TLS: the write side is shut at the TCP level without a close_notify alert, which
  // Asio's SSL stream cannot send without also waiting for the peer's. A Go crypto/tls
  // peer (dockerd) reads this as a clean end of input at a record boundary.
  std::visit([&](auto& s) { s.lowest_layer().shutdown(asio::socket_base::shutdown_send, ec); },
             sock_);
}

}  // namespace berth::net
