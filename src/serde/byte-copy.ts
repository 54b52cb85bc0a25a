/**
 * `source[start, end)` as a Buffer of its own, copied once. For the scratch space encoders write
 * into before they know a value's size: `slice` would zero-fill the copy first, and Buffer `copy`
 * checks its arguments and wraps the source in a Buffer view, which cost more than the copy for
 * the few hundred bytes of a record.
 */
export function exactCopy(source: Buffer, start: number, end: number): Buffer {
  const copy = Buffer.allocUnsafe(end - start);
  copy.set(new Uint8Array(source.buffer, source.byteOffset + start, end - start));
  return copy;
}
