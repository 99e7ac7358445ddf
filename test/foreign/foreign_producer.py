"""A brokerage-side producer that is not Kanshi's code: librdkafka through confluent-kafka, with
Confluent's own AvroSerializer and schema-registry client, its default partitioner, one producer
(and codec) per topic, headers on every record.

    python foreign_producer.py job.json

job.json: {"brokers", "registry", "input": "records.ndjson",
           "topics": {"<topic>": {"codec": "zstd", "schema": "<avsc text>"}},
           "extra": [{"topic", "key", "value", "schema"}]}
input: one {"topic", "key", "value"} per line, sent in file order. "extra" records are sent
first, each with its own writer schema (schema evolution). Prints one JSON line of counts.
"""
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main(path):
    with open(path) as f:
        job = json.load(f)
    registry = SchemaRegistryClient({"url": job["registry"]})
    producers, serializers = {}, {}
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(str(err))

    for topic, spec in job["topics"].items():
        producers[topic] = Producer({
            "bootstrap.servers": job["brokers"],
            "compression.type": spec["codec"],
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "client.id": "foreign-librdkafka-" + spec["codec"],
        })
        serializers[topic] = AvroSerializer(registry, spec["schema"], conf={"auto.register.schemas": True})

    def send(topic, key, value, serializer):
        ctx = SerializationContext(topic, MessageField.VALUE)
        producer = producers[topic]
        while True:
            try:
                producer.produce(topic, key=key.encode(), value=serializer(value, ctx), on_delivery=delivered,
                                 headers=[("producer", b"librdkafka"), ("trace-id", key.encode()[:16])])
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)

    extra = 0
    for r in job.get("extra", []):
        send(r["topic"], r["key"], r["value"], AvroSerializer(registry, r["schema"], conf={"auto.register.schemas": True}))
        extra += 1
    sent = 0
    with open(job["input"]) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            send(r["topic"], r["key"], r["value"], serializers[r["topic"]])
            sent += 1
    for p in producers.values():
        left = p.flush(60)
        if left:
            failures.append(f"{left} messages not delivered within 60 s")
    print(json.dumps({"sent": sent, "extra": extra, "failures": failures[:5]}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
