// A local OTLP/HTTP receiver for lucid's exporter tests and benchmarks.
// It decodes each POSTed body with OpenTelemetry's own published protobuf
// definitions (@opentelemetry/otlp-transformer's generated code, pinned by
// package-lock.json), not with lucid's code, and appends what it decoded to a
// file as one JSON line per request.
//
// usage: node receiver.js --port-file FILE [--out FILE] [--fail N] [--sink]
//   --port-file  where to write the port it listens on (127.0.0.1, any port)
//   --out        JSON lines: {"path", "headers", "resourceSpans": [...]}
//   --fail N     answer the first N requests 503 (to test retries)
//   --sink       accept and discard (benchmarks): no decoding, no output
// GET /quit stops it.
"use strict";
const http = require("http");
const fs = require("fs");
const root = require("@opentelemetry/otlp-transformer/build/src/generated/root");

const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const portFile = opt("--port-file");
const out = opt("--out");
let fail = Number(opt("--fail") || 0);
const sink = args.includes("--sink");

const hex = (b) => Buffer.from(b || []).toString("hex");

function anyValue(v) {
  if (v == null) return null;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return Number(v.intValue);
  if (v.doubleValue != null) return v.doubleValue;
  return JSON.stringify(v);
}
const attrs = (list) => Object.fromEntries((list || []).map((kv) => [kv.key, anyValue(kv.value)]));

function decode(body) {
  const msg = Request.decode(body);
  const obj = Request.toObject(msg, { longs: String, enums: String, bytes: Array, defaults: false });
  return (obj.resourceSpans || []).map((rs) => ({
    resource: attrs(rs.resource && rs.resource.attributes),
    scopeSpans: (rs.scopeSpans || []).map((ss) => ({
      scope: ss.scope ? ss.scope.name : null,
      spans: (ss.spans || []).map((s) => ({
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        name: s.name,
        kind: s.kind,
        start: s.startTimeUnixNano,
        end: s.endTimeUnixNano,
        attributes: attrs(s.attributes),
        events: (s.events || []).map((e) => ({ name: e.name, time: e.timeUnixNano, attributes: attrs(e.attributes) })),
        droppedEventsCount: s.droppedEventsCount || 0,
        status: s.status ? { code: s.status.code || "STATUS_CODE_UNSET", message: s.status.message || "" } : null,
        flags: s.flags || 0,
      })),
    })),
  }));
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/quit") {
    res.end("bye\n");
    server.close();
    setImmediate(() => process.exit(0));
    return;
  }
  const chunks = [];
  req.on("data", (c) => { if (!sink) chunks.push(c); });
  req.on("end", () => {
    if (fail > 0) {
      fail--;
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("try later\n");
      return;
    }
    if (!sink) {
      let line;
      try {
        line = { path: req.url, headers: req.headers, contentType: req.headers["content-type"], resourceSpans: decode(Buffer.concat(chunks)) };
      } catch (e) {
        line = { path: req.url, error: String(e) };
      }
      if (out) fs.appendFileSync(out, JSON.stringify(line) + "\n");
    }
    res.writeHead(200, { "content-type": "application/x-protobuf" });
    res.end(Buffer.from(Response.encode(Response.create({})).finish()));
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile, String(server.address().port));
});
