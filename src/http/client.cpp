// lucid::http::client (see include/lucid/http/client.hpp).
#include "lucid/http/client.hpp"

#include <utility>

#include "lucid/trace/remote_parent.hpp"
#include "lucid/trace/span.hpp"

namespace lucid::http {

namespace {

constexpr std::size_t k_read_chunk = std::size_t{16} * 1024;

response to_response(const response_view& v) {
  response r;
  r.status = v.status;
  r.headers.reserve(v.headers.size());
  for (const header_view& h : v.headers)
    r.headers.push_back({std::string(h.name), std::string(h.value)});
  r.body.assign(v.body);
  return r;
}

lucid::error parse_error(const parse_result& pr) {
  return (pr.error_status == 413 || pr.error_status == 431) ? errc::too_large : errc::invalid_input;
}

/// The client span of one request: http.client{method, target, host, status|error}.
trace::span client_span(std::string_view method_name, std::string_view target,
                        std::string_view host) {
  return LUCID_INFO_SPAN("http.client", ("method", method_name), ("target", target), ("host", host),
                         ("status", trace::empty), ("error", trace::empty));
}

/// Adds traceparent/tracestate of the current span (W3C Trace Context) unless
/// the caller set them.
void inject_trace_context(std::vector<header>& headers) {
  for (const header& h : headers)
    if (iequals(h.name, "traceparent")) return;
  std::string tp, ts;
  if (!trace::inject_current(tp, ts)) return;
  headers.push_back({"traceparent", std::move(tp)});
  if (!ts.empty()) headers.push_back({"tracestate", std::move(ts)});
}

void record_outcome(const trace::span& span, const result<response>& r) {
  if (!span) return;
  if (r) {
    span.record("status", r->status);
  } else {
    span.record("error", r.error().describe());
  }
}

}  // namespace

client::client(std::string host_and_port, client_options options)
    : host_(std::move(host_and_port)), opts_(options), parser_(options.limits) {}
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;
client::~client() = default;

void client::close() noexcept {
  stream_.close();
  in_.clear();
}

task<result<response>> client::get(std::string target, std::vector<header> headers) {
  return send("GET", std::move(target), {}, std::move(headers));
}

task<result<response>> client::post(std::string target, std::string body, std::string content_type,
                                    std::vector<header> headers) {
  headers.push_back({"content-type", std::move(content_type)});
  return send("POST", std::move(target), std::move(body), std::move(headers));
}

task<result<response>> client::get_stream(std::string target, body_sink on_data,
                                          std::vector<header> headers) {
  trace::span span = client_span("GET", target, host_);
  auto entered = span.enter();
  inject_trace_context(headers);
  std::string wire = request_wire("GET", target, {}, headers);
  auto r = co_await exchange(std::move(wire), false, &on_data);
  record_outcome(span, r);
  co_return r;
}

task<result<response>> client::send(std::string method_name, std::string target, std::string body,
                                    std::vector<header> headers) {
  trace::span span = client_span(method_name, target, host_);
  auto entered = span.enter();
  inject_trace_context(headers);
  std::string wire = request_wire(method_name, target, body, headers);
  auto r = co_await exchange(std::move(wire), method_name == "HEAD", nullptr);
  record_outcome(span, r);
  co_return r;
}

std::string client::request_wire(std::string_view method_name, std::string_view target,
                                 std::string_view body, const std::vector<header>& headers) const {
  std::string wire;
  wire.reserve(64 + host_.size() + target.size() + body.size());
  wire += method_name;
  wire += ' ';
  wire += target;
  wire += " HTTP/1.1\r\n";
  bool own_host = false;
  for (const header& h : headers) {
    if (iequals(h.name, "host")) own_host = true;
  }
  if (!own_host) {
    wire += "host: ";
    wire += host_;
    wire += "\r\n";
  }
  for (const header& h : headers) {
    wire += h.name;
    wire += ": ";
    wire += h.value;
    wire += "\r\n";
  }
  if (!body.empty() || method_name == "POST" || method_name == "PUT" || method_name == "PATCH") {
    wire += "content-length: ";
    wire += std::to_string(body.size());
    wire += "\r\n";
  }
  wire += "\r\n";
  wire += body;
  return wire;
}

task<result<response>> client::exchange(std::string wire, bool head, const body_sink* sink) {
  // Until a response is complete the connection's state is unknown: close
  // it on every early exit, cancellation included.
  struct closer {
    client* c = nullptr;
    bool armed = true;
    ~closer() {
      if (armed) c->close();
    }
  } guard{this};

  for (int attempt = 0;; ++attempt) {
    const bool reused = stream_.is_open();
    if (!reused) {
      in_.clear();
      auto s = co_await net::tcp_stream::connect(host_);
      if (!s) co_return s.error();
      stream_ = std::move(*s);
      if (opts_.nodelay) (void)stream_.set_nodelay(true);
    }
    const bool may_retry = reused && attempt == 0;
    auto w = co_await stream_.write_all(std::string_view(wire));
    if (!w) {
      close();
      if (may_retry) continue;
      co_return w.error();
    }
    parser_.reset();
    parser_.stream_body(sink != nullptr);
    bool received = false;
    bool retry = false;
    response streamed;  // sink: the head, once known
    bool have_head = false;
    // sink: hands what was decoded to it; false when it asked to stop.
    auto deliver = [&]() {
      if (!have_head) {
        streamed = to_response(parser_.get());
        have_head = true;
      }
      std::string piece;
      in_.erase(0, parser_.take_body(piece));
      return piece.empty() || (*sink)(streamed, piece);
    };
    for (;;) {
      if (!in_.empty()) {
        const parse_result pr = parser_.parse(in_, head);
        if (pr.status == parse_status::error) co_return parse_error(pr);
        if (pr.status == parse_status::complete && parser_.get().status < 200) {
          // 100 Continue and friends: the real one follows.
          in_.erase(0, pr.consumed);
          parser_.reset();
          continue;
        }
        if (sink != nullptr && parser_.head_complete()) {
          if (!deliver()) co_return streamed;  // stopped: the guard closes the connection
          if (pr.status == parse_status::complete) {
            const bool keep = parser_.get().keep_alive;
            parser_.reset();  // deliver() dropped the response's bytes from in_
            guard.armed = !keep;
            co_return streamed;
          }
        } else if (pr.status == parse_status::complete) {
          response r = to_response(parser_.get());
          const bool keep = parser_.get().keep_alive;
          in_.erase(0, pr.consumed);
          parser_.reset();
          guard.armed = !keep;
          co_return r;
        }
      }
      const std::size_t old = in_.size();
      in_.resize(old + k_read_chunk);
      auto n = co_await stream_.read_some(in_.data() + old, k_read_chunk);
      in_.resize(old + (n ? *n : 0));
      if (n && *n > 0) {
        received = true;
        continue;
      }
      if (!received && in_.empty() && may_retry) {  // a stale keep-alive connection
        retry = true;
        break;
      }
      if (!n) co_return n.error();
      // End of stream: a read-until-close body ends here; anything else is cut short.
      const parse_result pr = parser_.finish(in_);
      if (pr.status == parse_status::complete && sink != nullptr) {
        (void)deliver();
        parser_.reset();
        co_return streamed;
      }
      if (pr.status == parse_status::complete) {
        response r = to_response(parser_.get());
        parser_.reset();
        co_return r;
      }
      if (pr.status == parse_status::error && pr.error_status == 413) co_return errc::too_large;
      co_return errc::eof;
    }
    if (retry) {
      close();
      continue;
    }
  }
}

}  // namespace lucid::http
