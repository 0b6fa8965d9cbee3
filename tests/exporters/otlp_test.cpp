// The OTLP exporter (lucid/exporters/otlp.hpp), checked by an independent
// decoder: a node receiver that decodes what lucid sent with
// OpenTelemetry's published protobuf definitions (otlp-decoder/).
#include "lucid/exporters/otlp.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <map>
#include <thread>

#include "exporters_test_util.hpp"

namespace {

using lucid_test::read_file;
using lucid_test::run;
using lucid_test::temp_path;
using nlohmann::json;

const std::string kDecoder = std::string(LUCID_TEST_DIR) + "/otlp-decoder";

/// Why the node tests cannot run here, or empty.
std::string node_missing() {
  if (run("command -v node >/dev/null 2>&1").status != 0)
    return "node is not installed (apt-get install nodejs npm; then scripts/setup.sh)";
  if (run("test -d " + kDecoder + "/node_modules/@opentelemetry/otlp-transformer").status != 0)
    return "the OTLP decoder's npm packages are not installed (scripts/setup.sh runs npm ci in " +
           kDecoder + ")";
  return {};
}

#define SKIP_WITHOUT_NODE()                                                  \
  do {                                                                       \
    if (std::string why = node_missing(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

/// Waits for a file with a port number in it.
int wait_port(const std::string& file) {
  for (int i = 0; i < 200; ++i) {
    std::string s = read_file(file);
    if (!s.empty()) return std::atoi(s.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

/// GET path on 127.0.0.1:port, ignoring the answer.
void http_get(int port, const char* path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req =
        std::string("GET ") + path + " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    (void)!::write(fd, req.data(), req.size());
    char buf[512];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
  }
  ::close(fd);
}

/// A node receiver in the background for the test's life.
struct receiver {
  std::string port_file = temp_path("recv.port");
  std::string out = temp_path("recv.jsonl");
  int port = 0;
  explicit receiver(const std::string& extra = "") {
    std::remove(port_file.c_str());
    std::remove(out.c_str());
    std::string cmd = "cd " + kDecoder + " && node receiver.js --port-file " + port_file +
                      " --out " + out + " " + extra + " >/dev/null 2>&1 &";
    (void)!std::system(cmd.c_str());
    port = wait_port(port_file);
  }
  ~receiver() {
    if (port != 0) http_get(port, "/quit");
    std::remove(port_file.c_str());
    std::remove(out.c_str());
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }
  /// Every request the receiver decoded.
  std::vector<json> requests() const {
    std::vector<json> v;
    std::istringstream in(read_file(out));
    for (std::string line; std::getline(in, line);)
      v.push_back(json::parse(line));
    return v;
  }
  /// Every span, with its resource's service.name as "service".
  std::vector<json> spans() const {
    std::vector<json> v;
    for (auto& r : requests())
      for (auto& rs : r["resourceSpans"])
        for (auto& ss : rs["scopeSpans"])
          for (auto s : ss["spans"]) {
            s["service"] = rs["resource"]["service.name"];
            s["resource"] = rs["resource"];
            v.push_back(s);
          }
    return v;
  }
};

json find_span(const std::vector<json>& spans, const std::string& service,
               const std::string& name) {
  for (auto& s : spans)
    if (s["service"] == service && s["name"] == name) return s;
  return nullptr;
}

std::string common_env(const receiver& r) {
  return "OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=" + r.endpoint() +
         " OTEL_BSP_SCHEDULE_DELAY=100 ";
}

TEST(Otlp, TwoServicesMakeOneTraceAndTheServerSpanIsTheChildOfTheClientSpan) {
  SKIP_WITHOUT_NODE();
  receiver recv;
  ASSERT_NE(recv.port, 0) << "the receiver did not start";
  const std::string b_port_file = temp_path("b.port");
  std::remove(b_port_file.c_str());
  const std::string env = common_env(recv) +
                          "OTEL_EXPORTER_OTLP_HEADERS='x-token=abc%20def,x-team=core' "
                          "OTEL_RESOURCE_ATTRIBUTES='deployment.environment=test,region=eu' ";
  std::string b_cmd = env + "OTEL_SERVICE_NAME=svc-b " + LUCID_OTLP_SERVICE + " b " + b_port_file +
                      " >/dev/null 2>&1 &";
  (void)!std::system(b_cmd.c_str());
  int b_port = wait_port(b_port_file);
  ASSERT_NE(b_port, 0) << "service B did not start";
  auto a = run(env + "OTEL_SERVICE_NAME=svc-a " + LUCID_OTLP_SERVICE + " a " +
               std::to_string(b_port) + " 2>&1");
  http_get(b_port, "/quit");
  EXPECT_EQ(a.status, 0) << a.out;
  // B flushes at exit; wait for its spans.
  std::vector<json> spans;
  for (int i = 0; i < 100; ++i) {
    spans = recv.spans();
    if (!find_span(spans, "svc-b", "http.request").is_null() &&
        !find_span(spans, "svc-a", "with_error").is_null())
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::remove(b_port_file.c_str());
  auto reqs = recv.requests();
  ASSERT_FALSE(reqs.empty());
  for (auto& r : reqs) {
    ASSERT_FALSE(r.contains("error")) << r.dump();
    EXPECT_EQ(r["path"], "/v1/traces");
    EXPECT_EQ(r["contentType"], "application/x-protobuf");
    EXPECT_EQ(r["headers"]["x-token"], "abc def");
    EXPECT_EQ(r["headers"]["x-team"], "core");
  }
  json checkout = find_span(spans, "svc-a", "checkout");
  json client = find_span(spans, "svc-a", "http.client");
  json server = find_span(spans, "svc-b", "http.request");
  ASSERT_FALSE(checkout.is_null()) << json(spans).dump(1);
  ASSERT_FALSE(client.is_null()) << json(spans).dump(1);
  ASSERT_FALSE(server.is_null()) << json(spans).dump(1);
  // Resource.
  EXPECT_EQ(checkout["resource"]["deployment.environment"], "test");
  EXPECT_EQ(checkout["resource"]["region"], "eu");
  EXPECT_EQ(checkout["resource"]["telemetry.sdk.name"], "lucid");
  // One trace: checkout -> http.client (A) -> http.request (B).
  EXPECT_EQ(checkout["traceId"].get<std::string>().size(), 32u);
  EXPECT_EQ(checkout["parentSpanId"], "");
  EXPECT_EQ(client["traceId"], checkout["traceId"]);
  EXPECT_EQ(client["parentSpanId"], checkout["spanId"]);
  EXPECT_EQ(server["traceId"], checkout["traceId"]);
  EXPECT_EQ(server["parentSpanId"], client["spanId"]);
  EXPECT_EQ(checkout["kind"], "SPAN_KIND_INTERNAL");
  EXPECT_EQ(client["kind"], "SPAN_KIND_CLIENT");
  EXPECT_EQ(server["kind"], "SPAN_KIND_SERVER");
  // Attributes from fields; the remote-parent fields became the parent.
  EXPECT_EQ(checkout["attributes"]["order"], 17);
  EXPECT_EQ(checkout["attributes"]["express"], true);
  EXPECT_EQ(client["attributes"]["method"], "GET");
  EXPECT_EQ(client["attributes"]["target"], "/work");
  EXPECT_EQ(client["attributes"]["status"], 200);
  EXPECT_EQ(server["attributes"]["path"], "/work");
  EXPECT_EQ(server["attributes"]["status"], 200);
  EXPECT_FALSE(server["attributes"].contains("trace_id"));
  EXPECT_FALSE(server["attributes"].contains("parent_span_id"));
  // Times.
  EXPECT_LE(std::stoull(checkout["start"].get<std::string>()),
            std::stoull(client["start"].get<std::string>()));
  EXPECT_LE(std::stoull(client["end"].get<std::string>()),
            std::stoull(checkout["end"].get<std::string>()));
  // The event inside B's request span.
  ASSERT_EQ(server["events"].size(), 1u) << server.dump();
  EXPECT_EQ(server["events"][0]["name"], "working");
  EXPECT_EQ(server["events"][0]["attributes"]["items"], 3);
  EXPECT_EQ(server["events"][0]["attributes"]["level"], "INFO");
  // Status.
  EXPECT_TRUE(checkout["status"].is_null() || checkout["status"]["code"] == "STATUS_CODE_UNSET");
  json risky = find_span(spans, "svc-a", "risky");
  ASSERT_FALSE(risky.is_null());
  EXPECT_EQ(risky["status"]["code"], "STATUS_CODE_ERROR");
  json with_error = find_span(spans, "svc-a", "with_error");
  ASSERT_FALSE(with_error.is_null());
  EXPECT_EQ(with_error["status"]["code"], "STATUS_CODE_ERROR");
  EXPECT_EQ(with_error["status"]["message"], "disk full");
  EXPECT_NE(risky["traceId"], checkout["traceId"]) << "a new root, a new trace";
}

TEST(Otlp, AFailingCollectorIsRetriedWithBackoff) {
  SKIP_WITHOUT_NODE();
  receiver recv("--fail 2");
  ASSERT_NE(recv.port, 0);
  auto r = run(common_env(recv) + LUCID_OTLP_SERVICE + " spans 20 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  std::vector<json> spans = recv.spans();
  EXPECT_EQ(spans.size(), 20u) << r.out;
  std::map<int, int> seen;
  for (auto& s : spans)
    seen[s["attributes"]["i"].get<int>()]++;
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_NE(spans[0]["service"].get<std::string>().find("unknown_service:otlp_service"),
            std::string::npos);
}

TEST(Otlp, SpansThatDoNotFitAreCountedAndReportedOnce) {
  SKIP_WITHOUT_NODE();
  // Nobody listens on the endpoint: every request fails, the queue fills.
  auto r =
      run(std::string("OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9 "
                      "OTEL_BSP_MAX_QUEUE_SIZE=10 OTEL_BSP_SCHEDULE_DELAY=50 ") +
          LUCID_OTLP_SERVICE + " spans 1000 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = r.out.find(what); p != std::string::npos; p = r.out.find(what, p + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("the queue is full (10 spans)"), 1u) << r.out;
  EXPECT_EQ(count("cannot export"), 1u) << r.out;
  // The totals add up: nothing is lost silently.
  unsigned long long exported = 0, queue = 0, failed = 0;
  auto p = r.out.find("lucid: OTLP exporter: ");
  for (; p != std::string::npos; p = r.out.find("lucid: OTLP exporter: ", p + 1))
    if (std::sscanf(r.out.c_str() + p,
                    "lucid: OTLP exporter: %llu spans exported, %llu dropped because the queue "
                    "was full, %llu lost",
                    &exported, &queue, &failed) == 3)
      break;
  EXPECT_EQ(exported, 0u) << r.out;
  EXPECT_GT(queue, 0u) << r.out;
  EXPECT_EQ(queue + failed, 1000u) << r.out;
}

TEST(Otlp, SamplersFromTheEnvironment) {
  SKIP_WITHOUT_NODE();
  {
    receiver recv;
    auto r = run(common_env(recv) + "OTEL_TRACES_SAMPLER=always_off " + LUCID_OTLP_SERVICE +
                 " spans 50 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(recv.spans().size(), 0u);
  }
  {
    receiver recv;
    auto r =
        run(common_env(recv) + "OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.25 " +
            LUCID_OTLP_SERVICE + " spans 800 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    std::size_t n = recv.spans().size();
    EXPECT_GT(n, 100u);  // 200 expected; a binomial sd of about 12
    EXPECT_LT(n, 300u);
  }
  {
    receiver recv;
    auto r = run(common_env(recv) + "OTEL_TRACES_SAMPLER=parentbased_always_off " +
                 LUCID_OTLP_SERVICE + " spans 30 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(recv.spans().size(), 0u) << "roots are not sampled";
  }
  {
    receiver recv;
    auto r = run(common_env(recv) + "OTEL_TRACES_SAMPLER=bogus OTEL_TRACES_SAMPLER_ARG=2 " +
                 LUCID_OTLP_SERVICE + " spans 5 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("OTEL_TRACES_SAMPLER: unknown sampler \"bogus\""), std::string::npos);
    EXPECT_NE(r.out.find("OTEL_TRACES_SAMPLER_ARG: \"2\""), std::string::npos);
    EXPECT_EQ(recv.spans().size(), 5u) << "the default, parentbased_always_on";
  }
}

TEST(Otlp, EndpointSettings) {
  // No node needed: from_env() only.
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/", 1);
  EXPECT_EQ(lucid::exporters::otlp_options::from_env().endpoint, "http://collector:4318/v1/traces");
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://other:9999/custom", 1);
  EXPECT_EQ(lucid::exporters::otlp_options::from_env().endpoint, "http://other:9999/custom");
  ::unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  ::unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  EXPECT_EQ(lucid::exporters::otlp_options::from_env().endpoint, "http://localhost:4318/v1/traces");
  ::setenv("OTEL_SERVICE_NAME", "named", 1);
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=other,k=v%2Cw", 1);
  auto o = lucid::exporters::otlp_options::from_env();
  EXPECT_EQ(o.service_name, "named");
  ASSERT_EQ(o.resource_attributes.size(), 2u);
  EXPECT_EQ(o.resource_attributes[1].second, "v,w");
  ::unsetenv("OTEL_SERVICE_NAME");
  ::unsetenv("OTEL_RESOURCE_ATTRIBUTES");
  EXPECT_FALSE(lucid::exporters::start_otlp({.endpoint = "https://secure:443/v1/traces"}));
}

}  // namespace
