import avro from 'avsc';

/**
 * Feature vectors are Avro arrays of floats, and avsc reads an array one item at a time: two
 * calls and a bounds check per float (about 7% of a light inference stage's main thread for 32
 * features). This reads each block of floats with one copy into a Float32Array and a loop over
 * it, giving the same numbers. Installed on avsc's ArrayType once, by avro-type.ts, so for the
 * whole process (avsc is one module); any other array, and a block that runs past the end of its
 * buffer, goes through avsc's own reader.
 */

/** What avsc's readers are handed: its buffer cursor (avsc's Tap). */
interface Tap {
  readonly buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
}

type ItemReader = (this: unknown, tap: Tap) => unknown;

/** An ArrayType, or a resolver reading into one: both keep the item reader in `itemsType`. */
interface ArrayReader {
  readonly itemsType: { readonly _read: ItemReader };
}

type ArrayRead = (this: ArrayReader, tap: Tap) => unknown[];

const arrayPrototype = avro.types.ArrayType.prototype as unknown as { _read: ArrayRead };
const floatPrototype = avro.types.FloatType.prototype as unknown as { readonly _read: ItemReader };
/** avsc's own array reader, for everything but arrays written as floats. */
const avscArrayRead: ArrayRead = arrayPrototype._read;

/** Float32Array reads in the platform's byte order; Avro's is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let floats = new Float32Array(256);
let floatBytes = new Uint8Array(floats.buffer);

function readFloatArray(this: ArrayReader, tap: Tap): unknown[] {
  const items = this.itemsType;
  // Written as floats: the item reader (a float type, or a resolver from float) is avsc's float reader.
  if (items._read !== floatPrototype._read) return avscArrayRead.call(this, tap);
  let values: unknown[] | undefined;
  let index = 0;
  let count: number;
  while ((count = tap.readLong()) !== 0) {
    if (count < 0) {
      // A negative count is followed by the block's size in bytes.
      count = -count;
      tap.skipLong();
    }
    values ??= new Array<unknown>(count);
    const size = count * 4;
    if (tap.pos + size > tap.buf.length) {
      // Truncated: avsc's reader moves past the end, and avsc reports the buffer as truncated.
      for (let item = 0; item < count; item++) values[index++] = items._read(tap);
      continue;
    }
    if (count > floats.length) {
      floats = new Float32Array(count);
      floatBytes = new Uint8Array(floats.buffer);
    }
    floatBytes.set(new Uint8Array(tap.buf.buffer, tap.buf.byteOffset + tap.pos, size));
    for (let item = 0; item < count; item++) values[index++] = floats[item];
    tap.pos += size;
  }
  return values ?? [];
}

/** Makes avsc read arrays of floats by block (once; a no-op on a big-endian machine). */
export function installFloatArrayReader(): void {
  if (LITTLE_ENDIAN) arrayPrototype._read = readFloatArray;
}
