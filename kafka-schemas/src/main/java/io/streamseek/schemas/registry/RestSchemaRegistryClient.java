package io.streamseek.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link SchemaRegistryClient} over the Confluent Schema Registry REST API, with the JDK's
 * {@link HttpClient}: no dependency beyond Jackson. Ids and schemas are immutable once registered,
 * so answers are cached without expiry; only misses and registrations reach the network.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> urls;
    private final String authorization; // null: none
    private final Duration timeout;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public RestSchemaRegistryClient(RegistryClientConfig config) {
        this.urls = new ArrayList<>();
        String urlUserInfo = null;
        for (String url : config.urls()) {
            URI uri = URI.create(url.trim().replaceAll("/+$", ""));
            if (uri.getUserInfo() != null) {
                urlUserInfo = uri.getUserInfo();
                uri = URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + uri.getPath());
            }
            urls.add(uri);
        }
        this.authorization = authorization(config, urlUserInfo);
        this.timeout = Duration.ofMillis(config.getInt(RegistryClientConfig.REQUEST_TIMEOUT_MS));
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .sslContext(TlsContexts.from(config))
                .build();
    }

    /** A client from Confluent-style configuration keys; see {@link RegistryClientConfig}. */
    public static RestSchemaRegistryClient create(Map<String, ?> configs) {
        return new RestSchemaRegistryClient(new RegistryClientConfig(configs));
    }

    @Override
    public int register(String subject, Schema schema) {
        String key = subject + '\n' + schema;
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
        int id = answer.get("id").asInt();
        idsBySubjectAndSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public int idOf(String subject, Schema schema) {
        String key = subject + '\n' + schema;
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        int id = call("POST", "/subjects/" + encode(subject), schemaBody(schema)).get("id").asInt();
        idsBySubjectAndSchema.put(key, id);
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("GET", "/schemas/ids/" + id, null);
        String type = answer.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException("Schema id " + id + " is a " + type + " schema, not Avro", 422, 0);
        }
        Schema schema = new Schema.Parser().parse(answer.get("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode answer = call("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
        return new RegisteredSchema(answer.get("subject").asText(), answer.get("version").asInt(), answer.get("id").asInt(),
                new Schema.Parser().parse(answer.get("schema").asText()));
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        call("PUT", "/config/" + encode(subject), JSON.createObjectNode().put("compatibility", level.name()).toString());
    }

    @Override
    public void close() {
        schemasById.clear();
        idsBySubjectAndSchema.clear();
    }

    /** Sends one request to the first URL that answers; an HTTP error answer is final, a network failure tries the next URL. */
    private JsonNode call(String method, String path, String body) {
        List<String> failures = new ArrayList<>();
        for (URI base : urls) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(timeout)
                    .header("Accept", CONTENT_TYPE + ", application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                failures.add(base + ": " + e);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("Interrupted while calling the schema registry at " + base, e);
            }
            return answer(method, base + path, response);
        }
        throw new SchemaRegistryException("Cannot reach the schema registry (" + method + " " + path + "): " + String.join("; ", failures), null);
    }

    private static JsonNode answer(String method, String url, HttpResponse<String> response) {
        JsonNode json;
        try {
            json = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new SchemaRegistryException("The schema registry answered " + method + " " + url + " with HTTP " + response.statusCode()
                    + " and a body that is not JSON: " + abbreviate(response.body()), response.statusCode() < 400 ? 502 : response.statusCode(), 0);
        }
        if (response.statusCode() >= 400) {
            throw new SchemaRegistryException("The schema registry answered " + method + " " + url + " with HTTP " + response.statusCode()
                    + ": " + json.path("message").asText(abbreviate(response.body())), response.statusCode(), json.path("error_code").asInt(0));
        }
        return json;
    }

    private static String authorization(RegistryClientConfig config, String urlUserInfo) {
        String token = config.password(RegistryClientConfig.BEARER_AUTH_TOKEN).value();
        if (!token.isEmpty()) {
            return "Bearer " + token;
        }
        String userInfo = config.getString(RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE).equals("USER_INFO")
                ? config.password(RegistryClientConfig.BASIC_AUTH_USER_INFO).value()
                : urlUserInfo;
        return userInfo == null || userInfo.isEmpty() ? null
                : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
