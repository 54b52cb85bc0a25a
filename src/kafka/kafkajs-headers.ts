import type { IHeaders } from 'kafkajs';
import type { Header, Headers } from '../runtime/record.js';

/** kafkajs's headers object: one value per name, an array when the name repeats (null values included). */
export type KafkajsHeaders = IHeaders | Readonly<Record<string, Buffer | string | null | readonly (Buffer | string | null)[] | undefined>>;

/** A kafkajs headers object as an ordered list: each name's values in order (the object lost the order across names). */
export function headersFromObject(headers: KafkajsHeaders | undefined): Headers {
  const list: Header[] = [];
  if (headers === undefined) return list;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly (Buffer | string | null)[]) list.push([name, item]);
    else list.push([name, value as Buffer | string | null]);
  }
  return list;
}

/**
 * A header list as kafkajs's headers object, for kafkajs paths that encode records themselves.
 * Repeats become arrays; the order across names is lost there, and kafkajs's own encoder cannot
 * write a null value (it measures the value first), so null values are left out: which is why
 * kascade encodes its own records from the list (see outgoing-encoding.ts).
 */
export function headersToObject(headers: Headers): IHeaders {
  const object: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [name, item] of headers) {
    if (item === null) continue;
    const existing = Object.hasOwn(object, name) ? object[name] : undefined;
    const next = existing === undefined ? item : Array.isArray(existing) ? [...existing, item] : [existing, item];
    Object.defineProperty(object, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return object;
}
