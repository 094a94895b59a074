"""Consume Plinth's user events with Confluent's stock Python client.

    python consume_users.py <bootstrap servers> <schema registry URL> <topic> [count] [timeout s]

Prints one JSON object per event: the decoded Avro value (via the registry, from the
Confluent wire format) and Plinth's headers. Exits non-zero if fewer than `count` events
arrived within the timeout. Nothing here is Plinth-specific: any Confluent client works alike.
"""

import json
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> int:
    brokers, registry_url, topic = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0

    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"example-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 10,
        "session.timeout.ms": 6000,
    })
    consumer.subscribe([topic])
    seen, deadline = 0, time.monotonic() + timeout
    try:
        while seen < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            value = deserialize(message.value(), SerializationContext(topic, MessageField.VALUE))
            headers = {k: v.decode() for k, v in (message.headers() or [])}
            print(json.dumps({"key": message.key().decode(), "value": value, "headers": headers}, default=str))
            seen += 1
    finally:
        consumer.close()
    if seen < count:
        print(f"only {seen} of {count} events arrived within {timeout} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
