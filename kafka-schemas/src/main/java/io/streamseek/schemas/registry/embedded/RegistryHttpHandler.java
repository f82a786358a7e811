package io.streamseek.schemas.registry.embedded;

import io.streamseek.schemas.registry.CompatibilityLevel;
import io.streamseek.schemas.registry.embedded.SchemaStore.Version;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of the Confluent Schema Registry REST API that clients use, over {@link RegistryService}:
 * Confluent's paths, content type, status codes and {@code {"error_code","message"}} error bodies.
 */
final class RegistryHttpHandler implements HttpHandler {

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Logger LOG = LoggerFactory.getLogger(RegistryHttpHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_BYTES = 16 << 20;

    private final RegistryService service;
    private final String expectedAuthorization; // null: no authentication

    RegistryHttpHandler(RegistryService service, String basicAuthUserInfo) {
        this.service = service;
        this.expectedAuthorization = basicAuthUserInfo == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            int status = 200;
            JsonNode body;
            try {
                if (expectedAuthorization != null && !expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    throw new RegistryError(401, 401, "Unauthorized");
                }
                body = route(exchange.getRequestMethod(), segments(exchange), query(exchange), exchange);
            } catch (RegistryError e) {
                status = e.status;
                body = JSON.createObjectNode().put("error_code", e.errorCode).put("message", e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("Schema registry request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                status = 500;
                body = JSON.createObjectNode().put("error_code", 50001).put("message", "Error in the backend data store: " + e.getMessage());
            }
            byte[] bytes = JSON.writeValueAsBytes(body);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private JsonNode route(String method, List<String> path, Map<String, String> query, HttpExchange exchange) throws IOException {
        int n = path.size();
        String root = n == 0 ? "" : path.get(0);
        switch (root) {
            case "":
                return JSON.createObjectNode();
            case "subjects":
                if (n == 1 && method.equals("GET")) {
                    return strings(service.subjects());
                }
                if (n == 2 && method.equals("POST")) {
                    return versionJson(service.lookup(path.get(1), schemaOf(exchange)));
                }
                if (n == 3 && path.get(2).equals("versions")) {
                    if (method.equals("GET")) {
                        ArrayNode versions = JSON.createArrayNode();
                        service.versions(path.get(1)).forEach(v -> versions.add(v.version()));
                        return versions;
                    }
                    if (method.equals("POST")) {
                        return JSON.createObjectNode().put("id", service.register(path.get(1), schemaOf(exchange)));
                    }
                }
                if (n == 4 && path.get(2).equals("versions") && method.equals("GET")) {
                    return versionJson(service.version(path.get(1), path.get(3)));
                }
                if (n == 5 && path.get(2).equals("versions") && path.get(4).equals("schema") && method.equals("GET")) {
                    return JSON.readTree(service.version(path.get(1), path.get(3)).schema());
                }
                break;
            case "schemas":
                if (n == 2 && path.get(1).equals("types") && method.equals("GET")) {
                    return strings(List.of("AVRO"));
                }
                if (n >= 3 && path.get(1).equals("ids") && method.equals("GET")) {
                    int id = parseId(path.get(2));
                    if (n == 3) {
                        return JSON.createObjectNode().put("schema", service.schemaById(id));
                    }
                    if (n == 4 && path.get(3).equals("versions")) {
                        ArrayNode usages = JSON.createArrayNode();
                        service.usagesOf(id).forEach(v -> usages.addObject().put("subject", v.subject()).put("version", v.version()));
                        return usages;
                    }
                }
                break;
            case "config":
                return config(method, n == 1 ? null : path.get(1), n, query, exchange);
            case "compatibility":
                if (method.equals("POST") && n >= 4 && path.get(1).equals("subjects") && path.get(3).equals("versions") && n <= 5) {
                    List<String> violations = service.compatibilityViolations(path.get(2), n == 5 ? path.get(4) : null, schemaOf(exchange));
                    ObjectNode result = JSON.createObjectNode().put("is_compatible", violations.isEmpty());
                    if ("true".equals(query.get("verbose"))) {
                        result.set("messages", strings(violations));
                    }
                    return result;
                }
                break;
            default:
                break;
        }
        throw new RegistryError(404, 404, "HTTP 404 Not Found: " + method + " /" + String.join("/", path));
    }

    private JsonNode config(String method, String subject, int n, Map<String, String> query, HttpExchange exchange) throws IOException {
        if (n > 2) {
            throw new RegistryError(404, 404, "HTTP 404 Not Found");
        }
        switch (method) {
            case "GET":
                CompatibilityLevel level = subject == null ? service.globalLevel()
                        : service.subjectLevel(subject).orElseGet(() -> {
                            if ("true".equals(query.get("defaultToGlobal"))) {
                                return service.globalLevel();
                            }
                            throw RegistryError.subjectConfigNotFound(subject);
                        });
                return JSON.createObjectNode().put("compatibilityLevel", level.name());
            case "PUT":
                JsonNode request = readBody(exchange);
                String text = request.path("compatibility").asText(request.path("compatibilityLevel").asText(""));
                CompatibilityLevel newLevel;
                try {
                    newLevel = CompatibilityLevel.valueOf(text);
                } catch (IllegalArgumentException e) {
                    throw RegistryError.invalidCompatibilityLevel(text);
                }
                service.setLevel(subject, newLevel);
                return JSON.createObjectNode().put("compatibility", newLevel.name());
            case "DELETE":
                if (subject == null) {
                    throw new RegistryError(405, 405, "HTTP 405 Method Not Allowed");
                }
                return JSON.createObjectNode().put("compatibilityLevel", service.deleteSubjectLevel(subject).name());
            default:
                throw new RegistryError(405, 405, "HTTP 405 Method Not Allowed");
        }
    }

    private static String schemaOf(HttpExchange exchange) throws IOException {
        JsonNode request = readBody(exchange);
        String type = request.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw RegistryError.invalidSchema("Unsupported schemaType " + type + ": this registry serves AVRO schemas only");
        }
        if (request.path("references").size() > 0) {
            throw RegistryError.invalidSchema("Schema references are not supported by this registry");
        }
        JsonNode schema = request.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw RegistryError.invalidSchema("The request needs a \"schema\" field holding the schema as a JSON string");
        }
        return schema.asText();
    }

    private static JsonNode readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw RegistryError.badRequest("Request body larger than " + MAX_BODY_BYTES + " bytes");
            }
            return bytes.length == 0 ? JSON.createObjectNode() : JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new RegistryError(400, 400, "Malformed JSON request body: " + e.getOriginalMessage());
        }
    }

    private static ObjectNode versionJson(Version v) {
        return JSON.createObjectNode().put("subject", v.subject()).put("version", v.version()).put("id", v.id()).put("schema", v.schema());
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode array = JSON.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    private static int parseId(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw RegistryError.schemaNotFound("Schema " + text + " not found");
        }
    }

    private static List<String> segments(HttpExchange exchange) {
        List<String> segments = new ArrayList<>();
        // getPath() decodes %XX but, unlike URLDecoder, keeps '+' literal as paths require.
        for (String segment : exchange.getRequestURI().getPath().split("/")) {
            if (!segment.isEmpty()) {
                segments.add(segment);
            }
        }
        return segments;
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> query = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                query.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }
}
