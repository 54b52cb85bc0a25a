import type { IHeaders } from 'kafkajs';
import type { Header, HeaderValue, Headers } from '../../runtime/record.js';

/**
 * kascade's headers are an ordered list (names may repeat, values may be null); stock kafkajs
 * takes and gives an object, one property per name (docs/records.md, "kafkajs adapter").
 */

/** kafkajs's headers object: one value per name, an array when the name repeats (null values included). */
export type KafkajsHeaders = IHeaders | Readonly<Record<string, Buffer | string | null | readonly (Buffer | string | null)[] | undefined>>;

/** A header value as kafkajs may hand it over; anything else is not a header value. */
const isHeaderValue = (value: unknown): value is HeaderValue => value === null || typeof value === 'string' || Buffer.isBuffer(value);

/**
 * A kafkajs headers object as an ordered list: each name's values in order (the object lost the
 * order across names). kafkajs's decoder checks a name with `headers[name]`, so a header named
 * after an Object.prototype member (`constructor`, `__proto__`) comes back as an array starting
 * with that member: only header values (bytes, text, null) are kept.
 */
export function headersFromObject(headers: KafkajsHeaders | undefined): Headers {
  const list: Header[] = [];
  if (headers === undefined) return list;
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) {
      for (const item of value as readonly unknown[]) if (isHeaderValue(item)) list.push([name, item]);
    } else if (isHeaderValue(value)) list.push([name, value]);
  }
  return list;
}

/**
 * A header list as kafkajs's headers object, for producing with stock kafkajs. A repeated name
 * becomes an array of its values, in order (kafkajs writes each); the order across names is the
 * order of each name's first appearance. Null values are left out: kafkajs's encoder cannot write
 * one (it measures every value with Buffer.byteLength), and dropping it reads back the same as
 * kascade reads a null header (no text); an empty value would read back as "".
 */
export function headersToObject(headers: Headers): IHeaders {
  const object: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [name, item] of headers) {
    if (item === null) continue;
    const existing = Object.hasOwn(object, name) ? object[name] : undefined;
    const next = existing === undefined ? item : Array.isArray(existing) ? [...existing, item] : [existing, item];
    // defineProperty: a header named `__proto__` stays an own property instead of setting the prototype.
    Object.defineProperty(object, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return object;
}
