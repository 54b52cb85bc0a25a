/**
 * `npx tsx bench/avro-float-arrays.ts [RECORDS] [FLOATS] [ROUNDS]`: a micro-benchmark of decoding
 * Avro records that carry an array of floats (a feature vector) with kascade's avsc types
 * (createAvroType), as a stage's input serde does: `{ id: string, features: float[FLOATS] }`,
 * RECORDS distinct bodies (default 100,000 of 512 floats), decoded ROUNDS times (default 5) with
 * the type itself and through a resolver (writer and reader types differ in a field's default,
 * as with a registry schema). Prints records per second per round and the best round; no broker.
 */
import type avro from 'avsc';
import { createAvroType, plainValueOf } from '../src/serde/avro-type.js';

const [records = 100_000, floats = 512, rounds = 5] = process.argv.slice(2).map(Number);

const schema: avro.schema.RecordType = {
  type: 'record',
  name: 'Request',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'features', type: { type: 'array', items: 'float' } },
  ],
};
const type = createAvroType(schema);
const reader = createAvroType({ ...schema, fields: [...schema.fields, { name: 'note', type: 'string', default: '' }] });
const resolver = reader.createResolver(type);

const bodies: Buffer[] = [];
for (let index = 0; index < records; index++) {
  const features = Array.from({ length: floats }, (_, item) => Math.fround(Math.sin(index + item)));
  bodies.push(type.toBuffer({ id: `req-${String(index)}`, features }));
}

/** Decodes every body once; returns records per second and a checksum (so nothing is optimized away). */
function round(decode: (body: Buffer) => unknown): { rate: number; sum: number } {
  let sum = 0;
  const start = process.hrtime.bigint();
  for (const body of bodies) {
    const value = decode(body) as { features: number[] };
    sum += value.features[floats - 1] ?? 0;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: records / seconds, sum };
}

const ways: Readonly<Record<string, (body: Buffer) => unknown>> = {
  'type.fromBuffer': (body) => plainValueOf(type, type.fromBuffer(body)),
  'resolver (reader != writer)': (body) => plainValueOf(reader, reader.fromBuffer(body, resolver)),
};

console.log(`node ${process.version}, ${String(records)} records of ${String(floats)} floats (${String(bodies[0]?.length)} bytes each), ${String(rounds)} rounds`);
for (const [name, decode] of Object.entries(ways)) {
  const rates: number[] = [];
  let checksum = 0;
  for (let index = 0; index < rounds; index++) {
    const { rate, sum } = round(decode);
    rates.push(rate);
    checksum = sum;
  }
  const shown = rates.map((rate) => Math.round(rate).toLocaleString('en-US')).join(', ');
  console.log(`${name}: best ${Math.round(Math.max(...rates)).toLocaleString('en-US')} records/s (rounds: ${shown}; checksum ${checksum.toFixed(3)})`);
}
