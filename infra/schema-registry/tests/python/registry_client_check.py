"""Checks Plinth's schema registry with Confluent's own Python client.

Usage: registry_client_check.py <registry-url>

Drives the registry with confluent-kafka's SchemaRegistryClient and its Avro serializer and
deserializer, as a downstream team would, prints each check, and exits non-zero with a message on
the first failure. The registry must be empty: the Rust test that runs this starts a fresh one.
"""

import json
import struct
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

TOPIC = "orders"
SUBJECT = "orders-value"

ORDER_V1 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "plinth.test",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "long"},
        ],
    }
)
# Adds a field with a default: compatible in every direction.
ORDER_V2 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "plinth.test",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "long"},
            {"name": "currency", "type": "string", "default": "EUR"},
        ],
    }
)
# Adds a field without a default: not backward compatible.
ORDER_BREAKING = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "plinth.test",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "long"},
            {"name": "customer", "type": "string"},
        ],
    }
)


class CheckFailed(Exception):
    pass


def check(description, condition, detail=""):
    if not condition:
        raise CheckFailed(f"{description}: {detail}" if detail else description)
    print(f"ok: {description}")


def expect_error(description, call, http_status, error_code):
    try:
        result = call()
    except SchemaRegistryError as error:
        check(
            description,
            error.http_status_code == http_status and error.error_code == error_code,
            f"got HTTP {error.http_status_code} error_code {error.error_code}: {error.error_message}",
        )
        return
    raise CheckFailed(f"{description}: expected error {error_code}, got {result!r}")


def client(url):
    # A fresh client per step where it matters: the client caches answers, and each check
    # must reach the registry.
    return SchemaRegistryClient({"url": url})


def check_registration(url):
    registry = client(url)
    schema_id = registry.register_schema(SUBJECT, Schema(ORDER_V1, "AVRO"))
    check("register_schema returns an id", isinstance(schema_id, int) and schema_id > 0, repr(schema_id))
    again = client(url).register_schema(SUBJECT, Schema(ORDER_V1, "AVRO"))
    check("registering the same schema again returns the same id", again == schema_id, f"{again} != {schema_id}")

    found = client(url).lookup_schema(SUBJECT, Schema(ORDER_V1, "AVRO"))
    check(
        "lookup_schema finds subject, version 1 and the id",
        (found.subject, found.version, found.schema_id) == (SUBJECT, 1, schema_id),
        repr(found),
    )
    expect_error(
        "lookup_schema of an unknown schema is 40403",
        lambda: client(url).lookup_schema(SUBJECT, Schema(ORDER_BREAKING, "AVRO")),
        404,
        40403,
    )

    latest = client(url).get_latest_version(SUBJECT)
    check(
        "get_latest_version answers version 1 with the id",
        (latest.version, latest.schema_id, latest.schema.schema_type) == (1, schema_id, "AVRO"),
        repr(latest),
    )
    fetched = client(url).get_schema(schema_id)
    check(
        "get_schema answers the registered record",
        json.loads(fetched.schema_str)["name"] == "Order",
        fetched.schema_str,
    )
    check("get_versions answers [1]", client(url).get_versions(SUBJECT) == [1])
    check("get_subjects lists the subject", client(url).get_subjects() == [SUBJECT])
    return schema_id


def check_compatibility(url):
    registry = client(url)
    answer = registry.set_compatibility(SUBJECT, "FULL")
    level = answer.get("compatibility") if isinstance(answer, dict) else answer
    check("set_compatibility answers the new level", level == "FULL", repr(answer))
    check("get_compatibility answers the subject's level", client(url).get_compatibility(SUBJECT) == "FULL")
    check(
        "test_compatibility accepts a field with a default",
        client(url).test_compatibility(SUBJECT, Schema(ORDER_V2, "AVRO")) is True,
    )
    check(
        "test_compatibility rejects a field without a default",
        client(url).test_compatibility(SUBJECT, Schema(ORDER_BREAKING, "AVRO")) is False,
    )
    check(
        "test_compatibility_all_versions accepts a field with a default",
        client(url).test_compatibility_all_versions(SUBJECT, Schema(ORDER_V2, "AVRO")) is True,
    )
    expect_error(
        "registering an incompatible schema is a 409",
        lambda: client(url).register_schema(SUBJECT, Schema(ORDER_BREAKING, "AVRO")),
        409,
        409,
    )
    expect_error(
        "an invalid schema is 42201",
        lambda: client(url).register_schema(SUBJECT, Schema('{"type": "record"}', "AVRO")),
        422,
        42201,
    )
    v2_id = client(url).register_schema(SUBJECT, Schema(ORDER_V2, "AVRO"))
    check("a compatible schema becomes version 2", client(url).get_versions(SUBJECT) == [1, 2])
    return v2_id


def check_serde(url, v2_id):
    expect_error(
        "the associations endpoint answers 404 so serializers fall back to the topic name",
        lambda: client(url).get_associations_by_resource_name(
            resource_name=TOPIC, resource_namespace="-", resource_type="topic", association_types=["value"]
        ),
        404,
        404,
    )
    serializer = AvroSerializer(client(url), ORDER_V2)
    context = SerializationContext(TOPIC, MessageField.VALUE)
    order = {"id": "o-1", "amount": 42, "currency": "USD"}
    payload = serializer(order, context)
    check("the serializer writes the magic byte 0", payload[0] == 0, repr(payload[:5]))
    (wire_id,) = struct.unpack(">I", payload[1:5])
    check("the serializer writes the registered id", wire_id == v2_id, f"{wire_id} != {v2_id}")

    deserializer = AvroDeserializer(client(url))
    decoded = deserializer(payload, context)
    check("the deserializer reads the value back", decoded == order, repr(decoded))


def check_deletion(url):
    check("delete_subject soft-deletes every version", client(url).delete_subject(SUBJECT) == [1, 2])
    expect_error("a soft-deleted subject has no versions", lambda: client(url).get_versions(SUBJECT), 404, 40401)
    check(
        "soft-deleted versions are listed on request",
        client(url).get_versions(SUBJECT, deleted=True) == [1, 2],
    )
    check(
        "delete_subject permanent removes it",
        client(url).delete_subject(SUBJECT, permanent=True) == [1, 2],
    )
    check("no subject is left", client(url).get_subjects(deleted=True) == [])


def main():
    if len(sys.argv) != 2:
        print("usage: registry_client_check.py <registry-url>", file=sys.stderr)
        return 2
    url = sys.argv[1]
    try:
        check_registration(url)
        v2_id = check_compatibility(url)
        check_serde(url, v2_id)
        check_deletion(url)
    except CheckFailed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - any client error is a failed check
        print(f"FAILED with {type(error).__name__}: {error}", file=sys.stderr)
        raise
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
