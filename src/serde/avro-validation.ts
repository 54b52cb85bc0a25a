import type avro from 'avsc';

/**
 * Why a value does not fit an Avro type, in terms a user can act on: the path of the failing
 * field, the type it needed and what it got. `undefined` when the value fits.
 */
export function explainInvalid(type: avro.Type, value: unknown): string | undefined {
  const problems: string[] = [];
  const fits = type.isValid(value, {
    errorHook: (path: string[], found: unknown, expected: avro.Type) => {
      const where = path.length === 0 ? 'value' : path.join('.');
      problems.push(`${where}: expected ${describeType(expected)}, got ${describeValue(found)}`);
    },
  });
  if (fits) return undefined;
  const [first] = problems;
  if (first === undefined) return 'value does not fit the schema';
  return problems.length === 1 ? first : `${first} (and ${problems.length - 1} more)`;
}

/** `record dev.kascade.Click`, `long`, `["null","string"]`: short enough for an error message. */
export function describeType(type: avro.Type): string {
  if (type.name !== undefined) return `${type.typeName} ${type.name}`;
  if (type.typeName === 'abstract:long') return 'long';
  const exported = type.schema();
  const schema = typeof exported === 'string' ? exported : JSON.stringify(exported);
  return schema.length > 80 ? `${schema.slice(0, 77)}...` : schema;
}

/** The kind of a JS value and, for scalars, a short excerpt (values may be large or personal). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': {
      const excerpt = value.length > 40 ? `${value.slice(0, 37)}...` : value;
      return `string ${JSON.stringify(excerpt)}`;
    }
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value.toString()}`;
    case 'object':
      if (Buffer.isBuffer(value)) return `Buffer (${value.length} bytes)`;
      return Array.isArray(value) ? `array (${value.length} items)` : 'object';
    default:
      return typeof value;
  }
}
