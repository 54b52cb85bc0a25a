#!/usr/bin/env python3
"""A hand-written Kafka inference consumer: the baseline kascade's inference stage is compared with.

Reads Confluent wire-format Avro requests from one topic, scores them in batches with an ONNX
model and writes one Avro prediction per request to another topic:

    input  value: magic byte 0, 4-byte big-endian schema id, Avro binary of a record with at
                  least the passthrough fields (strings) and `features` (array of float)
    output value: the same wire format, a record {<passthrough fields>: string, probability: float}
                  registered under the subject "<output>-value"; key: the input record's key

It stops once --count records are written (every delivery acknowledged) and prints one JSON line,
{"records": N, "seconds": S, "recordsPerSecond": R, "skipped": K}, where S runs from the first
record consumed to the last delivery report, and K counts input values that are not wire-format
Avro (those are skipped, not scored). Errors go to stderr with a non-zero exit status.

Plain confluent-kafka + fastavro + onnxruntime + numpy, nothing of kascade.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque

import fastavro
import numpy as np
import onnxruntime as ort
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

WIRE_HEADER = struct.Struct(">bI")  # magic byte 0, then the schema id (big-endian uint32)
FEATURES_FIELD = "features"
OUTPUT_FIELD = "probability"


class Fatal(Exception):
    """An error that ends the run: printed to stderr, exit status 1."""


# --- schema registry --------------------------------------------------------------------------


class SchemaRegistry:
    """The two calls of the Confluent-compatible schema registry API this consumer needs."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._by_id: dict[int, dict | None] = {}

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.load(response)

    def writer_schema(self, schema_id: int) -> dict | None:
        """The parsed schema with this id, fetched once; None if the registry has no such id."""
        if schema_id not in self._by_id:
            try:
                text = self._request("GET", f"/schemas/ids/{schema_id}")["schema"]
                self._by_id[schema_id] = fastavro.parse_schema(json.loads(text))
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise Fatal(f"schema registry: GET /schemas/ids/{schema_id} failed: HTTP {error.code}") from error
                print(f"baseline: schema id {schema_id} is unknown to the registry; skipping its records", file=sys.stderr)
                self._by_id[schema_id] = None
            except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
                raise Fatal(f"schema registry: cannot fetch schema id {schema_id} from {self.base_url}: {error}") from error
        return self._by_id[schema_id]

    def register(self, subject: str, schema: dict) -> int:
        """Registers the schema under the subject (a no-op if it is there already); returns its id."""
        path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions"
        try:
            return int(self._request("POST", path, {"schema": json.dumps(schema)})["id"])
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:500]
            raise Fatal(f"schema registry: registering {subject} failed: HTTP {error.code} {detail}") from error
        except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
            raise Fatal(f"schema registry: cannot register {subject} at {self.base_url}: {error}") from error


def output_schema(passthrough: list[str]) -> dict:
    return {
        "type": "record",
        "name": "Prediction",
        "namespace": "pybaseline",
        "fields": [{"name": name, "type": "string"} for name in passthrough] + [{"name": OUTPUT_FIELD, "type": "float"}],
    }


# --- offsets: committed only once a batch's predictions are acknowledged ----------------------


class Batch:
    """The input offsets of one consumed batch and how many of its predictions await delivery."""

    def __init__(self, offsets: dict[tuple[str, int], int]) -> None:
        self.offsets = offsets  # (topic, partition) -> highest offset handled in this batch
        self.pending = 0


class Run:
    """The state the delivery callbacks share with the main loop."""

    def __init__(self) -> None:
        self.produced = 0
        self.delivered = 0
        self.skipped = 0
        self.first_consumed: float | None = None
        self.last_delivered: float | None = None
        self.delivery_error: str | None = None
        self.batches: deque[Batch] = deque()

    def on_delivery(self, batch: Batch):
        def callback(err, msg) -> None:
            if err is not None:
                self.delivery_error = self.delivery_error or f"delivery to {msg.topic()} failed: {err}"
                return
            batch.pending -= 1
            self.delivered += 1
            self.last_delivered = time.perf_counter()

        return callback

    def store_finished_offsets(self, consumer: Consumer) -> None:
        """Hands the offsets of fully delivered batches, oldest first, to the auto-committer."""
        while self.batches and self.batches[0].pending == 0:
            offsets = self.batches.popleft().offsets
            if offsets:
                consumer.store_offsets(offsets=[TopicPartition(t, p, o + 1) for (t, p), o in offsets.items()])


# --- the consumer -----------------------------------------------------------------------------


def decode(value: bytes | None, registry: SchemaRegistry) -> dict | None:
    """The Avro record in a Confluent wire-format value, or None if it is not one."""
    if value is None or len(value) < WIRE_HEADER.size:
        return None
    magic, schema_id = WIRE_HEADER.unpack_from(value)
    if magic != 0:
        return None
    schema = registry.writer_schema(schema_id)
    if schema is None:
        return None
    buffer = io.BytesIO(value)
    buffer.seek(WIRE_HEADER.size)
    try:
        return fastavro.schemaless_reader(buffer, schema, None)
    except Exception:  # truncated or garbage Avro: not a wire-format record after all
        return None


def encode(record: dict, schema: dict, header: bytes) -> bytes:
    buffer = io.BytesIO()
    buffer.write(header)
    fastavro.schemaless_writer(buffer, schema, record)
    return buffer.getvalue()


def load_model(path: str, threads: int) -> tuple[ort.InferenceSession, str, str, int]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:
        raise Fatal(f"cannot load model {path}: {error}") from error
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise Fatal(f"model {path} has {len(inputs)} inputs; this baseline feeds exactly one ([batch, n] float32)")
    width = inputs[0].shape[-1]
    if not isinstance(width, int):
        raise Fatal(f"model {path}: the input's last dimension must be fixed, it is {width!r}")
    return session, inputs[0].name, outputs[0].name, width


def run(args: argparse.Namespace) -> dict:
    passthrough = [name.strip() for name in args.passthrough.split(",") if name.strip()]
    if OUTPUT_FIELD in passthrough:
        raise Fatal(f"--passthrough cannot name {OUTPUT_FIELD!r}: the model's output is written there")

    session, input_name, output_name, width = load_model(args.model, args.threads)
    registry = SchemaRegistry(args.registry)
    schema = output_schema(passthrough)
    schema_id = registry.register(f"{args.output}-value", schema)
    parsed_schema = fastavro.parse_schema(schema)
    header = WIRE_HEADER.pack(0, schema_id)

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
        # Offsets are stored by hand once a batch's predictions are acknowledged (at-least-once).
        "enable.auto.offset.store": False,
    })
    producer = Producer({
        "bootstrap.servers": args.brokers,
        "linger.ms": 5,
        "acks": "all",
        "enable.idempotence": True,
    })
    state = Run()
    warned_width = False
    deadline = time.monotonic() + args.timeout
    max_wait = args.max_wait_ms / 1000.0

    try:
        topics = consumer.list_topics(timeout=10).topics
        missing = [topic for topic in (args.input, args.output) if topic not in topics]
        if missing:
            raise Fatal(f"topic(s) not found on {args.brokers}: {', '.join(missing)} (create them first)")
        consumer.subscribe([args.input])
        while state.produced < args.count:
            if time.monotonic() > deadline:
                raise Fatal(f"timed out after {args.timeout:g} s: {state.produced} of {args.count} records processed")
            messages = consumer.consume(num_messages=min(args.batch_size, args.count - state.produced), timeout=max_wait)
            producer.poll(0)
            if state.delivery_error:
                raise Fatal(state.delivery_error)
            state.store_finished_offsets(consumer)
            if not messages:
                continue
            if state.first_consumed is None:
                state.first_consumed = time.perf_counter()

            # Decode the batch; stop taking records once --count would be reached.
            batch = Batch({})
            keys, records = [], []
            for message in messages:
                if message.error():
                    raise KafkaException(message.error())
                record = decode(message.value(), registry)
                features = None if record is None else record.get(FEATURES_FIELD)
                if features is not None and len(features) != width:
                    if not warned_width:
                        print(f"baseline: skipping records whose {FEATURES_FIELD} do not have {width} values", file=sys.stderr)
                        warned_width = True
                    features = None
                batch.offsets[(message.topic(), message.partition())] = message.offset()
                if features is None:
                    state.skipped += 1
                    continue
                keys.append(message.key())
                records.append(record)
                if state.produced + len(records) == args.count:
                    break
            state.batches.append(batch)
            if not records:
                continue

            # One inference call for the whole batch.
            features = np.array([record[FEATURES_FIELD] for record in records], dtype=np.float32)
            probabilities = session.run([output_name], {input_name: features})[0].reshape(len(records), -1)[:, 0].tolist()

            # Encode and send one prediction per record.
            on_delivery = state.on_delivery(batch)
            batch.pending = len(records)
            for key, record, probability in zip(keys, records, probabilities):
                prediction = {name: record.get(name) for name in passthrough}
                prediction[OUTPUT_FIELD] = probability
                try:
                    value = encode(prediction, parsed_schema, header)
                except Exception as error:  # e.g. a passthrough field that is missing or not a string
                    raise Fatal(f"cannot encode the prediction {prediction}: {error!r} (every passthrough field must be a string)") from error
                while True:
                    try:
                        producer.produce(args.output, value=value, key=key, on_delivery=on_delivery)
                        break
                    except BufferError:  # the producer's local queue is full: let it drain
                        producer.poll(0.05)
            state.produced += len(records)
            producer.poll(0)

        remaining = producer.flush(max(0.0, deadline - time.monotonic()))
        if state.delivery_error:
            raise Fatal(state.delivery_error)
        if remaining or state.delivered < args.count:
            raise Fatal(f"timed out: {state.delivered} of {args.count} predictions acknowledged")
        state.store_finished_offsets(consumer)
    finally:
        consumer.close()  # commits the stored offsets and leaves the group

    seconds = state.last_delivered - state.first_consumed
    return {
        "records": state.delivered,
        "seconds": round(seconds, 6),
        "recordsPerSecond": round(state.delivered / seconds, 1) if seconds > 0 else None,
        "skipped": state.skipped,
    }


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Hand-written Python inference consumer (kascade's benchmark baseline).")
    parser.add_argument("--brokers", required=True, help="Kafka bootstrap servers, e.g. 127.0.0.1:9092")
    parser.add_argument("--registry", required=True, help="Confluent-compatible schema registry base URL")
    parser.add_argument("--input", required=True, metavar="TOPIC", help="topic of the requests")
    parser.add_argument("--output", required=True, metavar="TOPIC", help="topic for the predictions")
    parser.add_argument("--group", required=True, help="consumer group id")
    parser.add_argument("--model", required=True, metavar="PATH", help="ONNX model: one float32 input [batch, n]")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="records per inference call (default 64)")
    parser.add_argument("--count", type=positive_int, required=True, metavar="N", help="stop after N records are written")
    parser.add_argument("--passthrough", default="id,user", help="string fields copied to the prediction (default id,user)")
    parser.add_argument("--threads", type=positive_int, default=1, help="onnxruntime intra-op threads (default 1)")
    parser.add_argument("--max-wait-ms", type=float, default=5.0, help="longest wait for a batch to fill (default 5, as kascade)")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds (default 300)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except Fatal as error:
        print(f"baseline: {error}", file=sys.stderr)
        return 1
    except KafkaException as error:
        print(f"baseline: Kafka error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("baseline: interrupted", file=sys.stderr)
        return 130
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
