import avro from 'avsc';

/**
 * How kascade maps Avro to JS values. Every avsc Type kascade builds comes from
 * `createAvroType`, so writer and reader types agree on these choices:
 *
 * - `long` is a JS number when it is a safe integer (|v| <= 2^53 - 1) and a bigint otherwise.
 *   avsc's default throws on longs beyond 2^53 ("potential precision loss"), which would
 *   dead-letter every record carrying e.g. a 64-bit id; a bigint keeps the exact value, and the
 *   common case (counts, millisecond timestamps) stays a plain number. Writing accepts both.
 * - records decode to plain objects (see `toPlainValue`), so user code and `assert.deepEqual`
 *   see data, not avsc's generated record classes.
 * - unions use avsc's default (`wrapUnions: 'auto'`): unwrapped when the branches can be told
 *   apart by their JS type (e.g. `["null","string"]`), wrapped as `{ "<branch name>": value }`
 *   otherwise. It is also what @kafkajs/confluent-schema-registry does.
 * - logical types (timestamp-millis, decimal, uuid) are read as their underlying Avro type.
 * - arrays (feature vectors of floats included) are read by avsc's own reader, item by item:
 *   kascade builds types only through avsc's documented options (`registry`, `__with`) and
 *   never replaces avsc's internals (bench/avro-float-arrays.ts measures what that costs).
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** An Avro long as kascade hands it out: a number when exact, else a bigint. */
export type AvroLong = number | bigint;

function fromBigInt(value: bigint): AvroLong {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

function isAvroLong(value: unknown): value is AvroLong {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX)
  );
}

/** Schema defaults and `clone` go through JSON: numbers stay numbers, big values travel as decimal strings. */
function longFromJson(value: unknown): AvroLong {
  if (typeof value === 'bigint') return fromBigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return fromBigInt(BigInt(value));
  if (typeof value === 'number') return value;
  throw new Error(`not a long: ${String(value)}`);
}

const LONG = avro.types.LongType.__with({
  // avsc hands over / expects the long as 8 bytes, two's complement, little-endian.
  fromBuffer: (buffer: Buffer): AvroLong => fromBigInt(buffer.readBigInt64LE(0)),
  toBuffer: (value: AvroLong): Buffer => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(BigInt(value));
    return buffer;
  },
  fromJSON: longFromJson,
  toJSON: (value: AvroLong): number | string => (typeof value === 'bigint' ? value.toString() : value),
  isValid: isAvroLong,
  compare: (a: AvroLong, b: AvroLong): number => {
    const [x, y] = [BigInt(a), BigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  },
});

/** An avsc Type with kascade's value mapping. Throws avsc's error when `schema` is not valid Avro. */
export function createAvroType(schema: avro.schema.AvroSchema): avro.Type {
  // A fresh registry per call: avsc adds the schema's named types to it.
  const registry: Record<string, avro.Type> = { long: LONG };
  return avro.Type.forSchema(schema, { registry });
}

/** Makes a decoded value of one Avro type plain. */
type Plainer = (value: unknown) => unknown;

/** For types whose decoded values are primitives, strings or Buffers: nothing to replace. */
const asIs: Plainer = (value) => value;

const PLAIN_TYPES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string', 'enum', 'fixed']);

const plainers = new WeakMap<avro.Type, Plainer>();

function plainerOf(type: avro.Type): Plainer {
  const known = plainers.get(type);
  if (known !== undefined) return known;
  const name = type.typeName;
  let plainer: Plainer;
  if (PLAIN_TYPES.has(name)) plainer = asIs;
  else if ((name === 'record' || name === 'error') && type instanceof avro.types.RecordType) {
    // Registered before its fields are planned: a recursive record (a tree) reaches itself again.
    let fields: readonly { readonly name: string; readonly plain: Plainer }[] = [];
    plainer = (value) => {
      if (value === null || typeof value !== 'object') return value;
      const record = value as Record<string, unknown>;
      const plain: Record<string, unknown> = {};
      for (const field of fields) plain[field.name] = field.plain(record[field.name]);
      return plain;
    };
    plainers.set(type, plainer);
    fields = type.fields.map((field) => ({ name: field.name, plain: plainerOf(field.type) }));
  } else if (name === 'array' && type instanceof avro.types.ArrayType) {
    const item = plainerOf(type.itemsType);
    plainer = item === asIs ? asIs : (value) => (Array.isArray(value) ? value.map(item) : value);
  } else plainer = toPlainValue;
  plainers.set(type, plainer);
  return plainer;
}

/**
 * `toPlainValue` for values decoded with `type`, planned once per type: a record's fields are
 * copied by name, and arrays of plain items (feature vectors) are kept without looking at each
 * item. Unions, maps and logical types go through `toPlainValue`.
 */
export function plainValueOf(type: avro.Type, value: unknown): unknown {
  return plainerOf(type)(value);
}

/**
 * A decoded value with avsc's record (and wrapped-union) class instances replaced by plain
 * objects, recursively. Buffers (bytes, fixed) and primitives are kept as they are.
 */
export function toPlainValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) {
    // Arrays of numbers or strings (feature vectors) are already plain: kept, not copied.
    return (value as unknown[]).some(isStructured) ? value.map(toPlainValue) : value;
  }
  const plain: Record<string, unknown> = {};
  for (const name of Object.keys(value)) plain[name] = toPlainValue((value as Record<string, unknown>)[name]);
  return plain;
}

function isStructured(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Buffer.isBuffer(value);
}
