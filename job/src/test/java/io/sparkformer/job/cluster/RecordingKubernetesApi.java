package io.sparkformer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in Kubernetes API server on loopback that records every request and answers writes
 * (POST, PUT, PATCH) with the object it was sent, as a real API server does once it has accepted
 * it (plus a uid); reads get 404. Enough for spark-submit's cluster-mode submission.
 */
final class RecordingKubernetesApi implements AutoCloseable {
    record Request(String method, String path, String contentType, String body) {
        JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final HttpServer server;
    final List<Request> requests = new CopyOnWriteArrayList<>();

    RecordingKubernetesApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Request r = new Request(method, exchange.getRequestURI().toString(),
                exchange.getRequestHeaders().getFirst("Content-Type"), body);
        requests.add(r);
        byte[] answer;
        int status;
        if (List.of("POST", "PUT", "PATCH").contains(method) && body.startsWith("{")) {
            ObjectNode object = (ObjectNode) r.json();
            ((ObjectNode) object.with("metadata")).put("uid", UUID.randomUUID().toString());
            answer = MAPPER.writeValueAsBytes(object);
            status = "POST".equals(method) ? 201 : 200;
        } else {
            answer = ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\","
                    + "\"code\":404}").getBytes(StandardCharsets.UTF_8);
            status = 404;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
    }

    /** The one request of {@code method} whose path ends with {@code suffix}. */
    Request only(String method, String suffix) {
        List<Request> found = requests.stream().filter(r -> r.method().equals(method) && r.path().split("\\?")[0]
                .endsWith(suffix)).toList();
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " " + method + " requests to *" + suffix + " in " + requests.stream()
                    .map(q -> q.method() + " " + q.path()).toList());
        }
        return found.get(0);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
