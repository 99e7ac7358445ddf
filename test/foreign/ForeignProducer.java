// A brokerage-side producer that is not Kanshi's code: the Apache Kafka Java client, values
// Avro-encoded here from JSON with the schema the registry gave an id to (the Confluent wire
// format: magic 0, 4-byte schema id, Avro binary), one producer (and codec) per topic.
//
//   java -cp <kafka libs>/*:<classes> ForeignProducer <job.json>
//
// job.json: {"brokers": "...", "registry": "...", "input": "records.ndjson",
//            "topics": {"<topic>": {"codec": "lz4", "schema": "<avsc text>", "transactional": false}},
//            "aborted": [{"topic": "...", "key": "...", "value": {...}}]}
// input: one {"topic", "key", "value"} per line, sent in file order; every record carries headers.
// A transactional topic first gets the "aborted" records in a transaction that is aborted, then
// its real records in transactions of 500. Prints one JSON line of counts.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class ForeignProducer {
  static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    JsonNode job = JSON.readTree(Files.readString(Path.of(args[0])));
    String registry = job.get("registry").asText();
    Map<String, Topic> topics = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = job.get("topics").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      topics.put(e.getKey(), new Topic(e.getKey(), e.getValue(), job.get("brokers").asText(), registry));
    }
    for (JsonNode r : job.path("aborted")) {
      Topic t = topics.get(r.get("topic").asText());
      t.begin();
      t.send(r.get("key").asText(), r.get("value"));
    }
    for (Topic t : topics.values()) t.abortIfOpen();
    long sent = 0;
    try (BufferedReader in = Files.newBufferedReader(Path.of(job.get("input").asText()))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.isBlank()) continue;
        JsonNode r = JSON.readTree(line);
        topics.get(r.get("topic").asText()).sendInTransactions(r.get("key").asText(), r.get("value"));
        sent++;
      }
    }
    for (Topic t : topics.values()) t.close();
    ObjectNode out = JSON.createObjectNode();
    out.put("sent", sent);
    topics.values().forEach((t) -> out.put(t.name + ".schemaId", t.schemaId));
    System.out.println(out);
  }

  static final class Topic {
    final String name;
    final JsonNode schema;
    final int schemaId;
    final boolean transactional;
    final KafkaProducer<byte[], byte[]> producer;
    final Map<String, JsonNode> named = new HashMap<>();
    boolean open = false;
    int inTransaction = 0;

    Topic(String name, JsonNode spec, String brokers, String registry) throws Exception {
      this.name = name;
      this.schema = JSON.readTree(spec.get("schema").asText());
      this.transactional = spec.path("transactional").asBoolean(false);
      this.schemaId = register(registry, name + "-value", spec.get("schema").asText());
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
      p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, spec.get("codec").asText());
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
      p.put(ProducerConfig.CLIENT_ID_CONFIG, "foreign-java-" + spec.get("codec").asText());
      if (transactional) p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "foreign-java-" + name);
      producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
      if (transactional) producer.initTransactions();
    }

    void begin() {
      if (transactional && !open) {
        producer.beginTransaction();
        open = true;
      }
    }

    void abortIfOpen() {
      if (open) {
        producer.flush();
        producer.abortTransaction();
        open = false;
      }
    }

    void send(String key, JsonNode value) throws Exception {
      ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(name, key.getBytes(StandardCharsets.UTF_8), frame(value));
      rec.headers().add("producer", "kafka-java".getBytes(StandardCharsets.UTF_8));
      rec.headers().add("content-type", "application/vnd.kafka.avro.v2".getBytes(StandardCharsets.UTF_8));
      producer.send(rec);
    }

    void sendInTransactions(String key, JsonNode value) throws Exception {
      begin();
      send(key, value);
      if (transactional && ++inTransaction >= 500) {
        producer.commitTransaction();
        open = false;
        inTransaction = 0;
      }
    }

    void close() {
      if (open) producer.commitTransaction();
      producer.flush();
      producer.close(Duration.ofSeconds(30));
    }

    byte[] frame(JsonNode value) throws Exception {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
      write(schema, value, out);
      return out.toByteArray();
    }

    /** Avro binary encoding of a JSON value; absent fields are null. */
    void write(JsonNode type, JsonNode v, ByteArrayOutputStream out) throws Exception {
      if (type.isTextual()) {
        String t = type.asText();
        switch (t) {
          case "null": return;
          case "boolean": out.write(v.asBoolean() ? 1 : 0); return;
          case "int": case "long": zigzag(v.asLong(), out); return;
          case "float": out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) v.asDouble()).array()); return;
          case "double": out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v.asDouble()).array()); return;
          case "string": { byte[] b = v.asText().getBytes(StandardCharsets.UTF_8); zigzag(b.length, out); out.write(b); return; }
          default: {
            JsonNode n = named.get(t);
            if (n == null) throw new IllegalArgumentException("unknown type " + t);
            write(n, v, out);
            return;
          }
        }
      }
      if (type.isArray()) {
        for (int i = 0; i < type.size(); i++) {
          if (fits(type.get(i), v)) { zigzag(i, out); write(type.get(i), v, out); return; }
        }
        throw new IllegalArgumentException("no branch of " + type + " fits " + v);
      }
      String t = type.get("type").asText();
      if (type.has("name")) named.put(type.get("name").asText(), type);
      switch (t) {
        case "record":
          for (JsonNode f : type.get("fields")) {
            JsonNode fv = v.get(f.get("name").asText());
            write(f.get("type"), fv == null ? JSON.nullNode() : fv, out);
          }
          return;
        case "enum": {
          int i = 0;
          for (JsonNode s : type.get("symbols")) { if (s.asText().equals(v.asText())) { zigzag(i, out); return; } i++; }
          throw new IllegalArgumentException("not a symbol of " + type.get("name") + ": " + v);
        }
        case "array":
          if (v.size() > 0) {
            zigzag(v.size(), out);
            for (JsonNode x : v) write(type.get("items"), x, out);
          }
          zigzag(0, out);
          return;
        default:
          write(type.get("type"), v, out); // a primitive with a logical type
      }
    }

    boolean fits(JsonNode type, JsonNode v) {
      String t = type.isTextual() ? type.asText() : type.path("type").asText();
      switch (t) {
        case "null": return v == null || v.isNull();
        case "string": return v.isTextual();
        case "int": case "long": return v.isIntegralNumber();
        case "float": case "double": return v.isNumber();
        case "boolean": return v.isBoolean();
        case "enum": return v.isTextual();
        case "array": return v.isArray();
        case "record": return v.isObject();
        default: return named.containsKey(t) && fits(named.get(t), v);
      }
    }

    static void zigzag(long n, ByteArrayOutputStream out) {
      long z = (n << 1) ^ (n >> 63);
      while ((z & ~0x7FL) != 0) { out.write((int) ((z & 0x7F) | 0x80)); z >>>= 7; }
      out.write((int) z);
    }

    static int register(String registry, String subject, String schema) throws Exception {
      ObjectNode body = JSON.createObjectNode();
      body.put("schema", schema);
      HttpRequest req = HttpRequest.newBuilder(URI.create(registry + "/subjects/" + subject + "/versions"))
          .timeout(Duration.ofSeconds(20))
          .header("Content-Type", "application/vnd.schemaregistry.v1+json")
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
      HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new IllegalStateException("registry answered " + r.statusCode() + " for " + subject + ": " + r.body());
      return JSON.readTree(r.body()).get("id").asInt();
    }
  }
}
