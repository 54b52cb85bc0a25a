import type avro from 'avsc';

/**
 * Avro schema fragments that can be moved into another schema: the schema of one field of an
 * input record, to be reused for the same field of a prediction record.
 *
 * A field's schema cannot be copied as it is: it may refer by name to a type defined elsewhere
 * in the input schema (`"type": "User"`), and unqualified names depend on the enclosing
 * namespace, which changes with the new position. So fragments come out self-contained and
 * position-independent: every named type is fully qualified (`dev.kascade.User`), defined at
 * its first use and referred to by its full name afterwards.
 */

type JsonObject = Record<string, unknown>;

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED_KINDS = new Set(['record', 'error', 'enum', 'fixed']);
const KEYWORDS = new Set([...NAMED_KINDS, 'array', 'map']);

interface NamedDefinition {
  readonly fullName: string;
  readonly schema: JsonObject;
}

type NameIndex = ReadonlyMap<string, NamedDefinition>;

/**
 * The schema of the field at `dottedPath` (`user.id`) of a record schema, self-contained (see
 * above), or undefined when the schema is not a record or has no such field. When the path goes
 * through a nullable record (`["null", User]`), the field can be missing, so its schema is made
 * nullable too.
 */
export function fieldSchemaOf(recordSchema: avro.schema.AvroSchema, dottedPath: string): avro.schema.AvroSchema | undefined {
  const index = indexNamedTypes(recordSchema);
  let current: unknown = recordSchema;
  let namespace = '';
  let nullable = false;
  for (const segment of dottedPath.split('.')) {
    const record = recordOf(current, namespace, index);
    if (record === undefined) return undefined;
    nullable ||= record.nullable;
    const fields = Array.isArray(record.definition.schema.fields) ? (record.definition.schema.fields as unknown[]) : [];
    const field = fields.find((candidate) => isObject(candidate) && candidate.name === segment);
    if (!isObject(field)) return undefined;
    current = field.type;
    namespace = namespaceOf(record.definition.fullName);
  }
  const fragment = inline(current, namespace, '', index, new Set());
  return (nullable ? nullableOf(fragment) : fragment) as avro.schema.AvroSchema;
}

/**
 * `schema` with its named types fully qualified, each defined at its first use across every call
 * that shares `defined` (the full names already defined in the target schema) and referred to by
 * name after. For placing several fragments in one record without duplicate definitions.
 */
export function qualifyNamedTypes(schema: avro.schema.AvroSchema, defined: Set<string>): avro.schema.AvroSchema {
  return inline(schema, '', '', indexNamedTypes(schema), defined) as avro.schema.AvroSchema;
}

function indexNamedTypes(schema: unknown): NameIndex {
  const index = new Map<string, NamedDefinition>();
  const visit = (node: unknown, namespace: string): void => {
    if (Array.isArray(node)) {
      for (const branch of node) visit(branch, namespace);
      return;
    }
    if (!isObject(node)) return;
    const type = node.type;
    if (isNamedDefinition(node)) {
      const fullName = fullNameOf(node, namespace);
      if (!index.has(fullName)) index.set(fullName, { fullName, schema: node });
      for (const field of fieldsOf(node)) visit(field.type, namespaceOf(fullName));
    } else if (type === 'array') {
      visit(node.items, namespace);
    } else if (type === 'map') {
      visit(node.values, namespace);
    } else if (typeof type === 'object') {
      visit(type, namespace);
    }
  };
  visit(schema, '');
  return index;
}

/** The record a schema stands for (through references and `["null", Record]` unions), if it is one. */
function recordOf(schema: unknown, namespace: string, index: NameIndex): { definition: NamedDefinition; nullable: boolean } | undefined {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return undefined;
    const definition = index.get(qualify(schema, namespace));
    const kind = definition?.schema.type;
    return definition !== undefined && (kind === 'record' || kind === 'error') ? { definition, nullable: false } : undefined;
  }
  if (Array.isArray(schema)) {
    const branches = schema.filter((branch) => branch !== 'null' && !(isObject(branch) && branch.type === 'null'));
    if (branches.length !== 1) return undefined;
    const record = recordOf(branches[0], namespace, index);
    return record === undefined ? undefined : { definition: record.definition, nullable: record.nullable || branches.length < schema.length };
  }
  if (!isObject(schema)) return undefined;
  if (isNamedDefinition(schema)) {
    return schema.type === 'record' || schema.type === 'error'
      ? { definition: { fullName: fullNameOf(schema, namespace), schema }, nullable: false }
      : undefined;
  }
  // `{"type": {...}}` or `{"type": "User"}`: the type is nested one level down.
  return typeof schema.type === 'object' || isReference(schema.type) ? recordOf(schema.type, namespace, index) : undefined;
}

/**
 * A copy of `schema` (read in `namespace`) with named types qualified and inlined at first use.
 * `outNamespace` is the namespace of the enclosing definition in the output.
 */
function inline(schema: unknown, namespace: string, outNamespace: string, index: NameIndex, defined: Set<string>): unknown {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return schema;
    const fullName = qualify(schema, namespace);
    if (defined.has(fullName)) return fullName;
    const definition = index.get(fullName);
    // An unknown name is left for avsc to report when the schema is used.
    return definition === undefined ? fullName : define(definition, outNamespace, index, defined);
  }
  if (Array.isArray(schema)) return (schema as unknown[]).map((branch) => inline(branch, namespace, outNamespace, index, defined));
  if (!isObject(schema)) return schema;
  if (isNamedDefinition(schema)) {
    const fullName = fullNameOf(schema, namespace);
    return defined.has(fullName) ? fullName : define({ fullName, schema }, outNamespace, index, defined);
  }
  const type = schema.type;
  if (type === 'array') return { ...schema, items: inline(schema.items, namespace, outNamespace, index, defined) };
  if (type === 'map') return { ...schema, values: inline(schema.values, namespace, outNamespace, index, defined) };
  if (typeof type === 'object') return { ...schema, type: inline(type, namespace, outNamespace, index, defined) };
  if (isReference(type)) return inline(type, namespace, outNamespace, index, defined);
  return { ...schema };
}

/** A named type's definition under its full name, its fields' types inlined in its own namespace. */
function define(definition: NamedDefinition, outNamespace: string, index: NameIndex, defined: Set<string>): JsonObject {
  defined.add(definition.fullName);
  const own = namespaceOf(definition.fullName);
  const copy: JsonObject = { type: definition.schema.type, name: definition.fullName };
  // A name without a dot would take the enclosing namespace: '' pins it to the null namespace.
  if (own === '' && outNamespace !== '') copy.namespace = '';
  for (const [key, value] of Object.entries(definition.schema)) {
    if (key === 'type' || key === 'name' || key === 'namespace') continue;
    if (key === 'aliases' && Array.isArray(value)) {
      copy.aliases = (value as unknown[]).map((alias) => (typeof alias === 'string' ? qualify(alias, own) : alias));
    } else if (key === 'fields' && Array.isArray(value)) {
      copy.fields = (value as unknown[]).map((field) => (isObject(field) ? { ...field, type: inline(field.type, own, own, index, defined) } : field));
    } else {
      copy[key] = value;
    }
  }
  return copy;
}

function nullableOf(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    const branches = schema as unknown[];
    return branches.includes('null') ? branches : ['null', ...branches];
  }
  return schema === 'null' ? schema : ['null', schema];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNamedDefinition(node: JsonObject): boolean {
  return typeof node.type === 'string' && NAMED_KINDS.has(node.type) && typeof node.name === 'string';
}

function isReference(type: unknown): type is string {
  return typeof type === 'string' && !PRIMITIVES.has(type) && !KEYWORDS.has(type);
}

function fieldsOf(node: JsonObject): JsonObject[] {
  return Array.isArray(node.fields) ? node.fields.filter(isObject) : [];
}

/** Avro's rule: a name with a dot is full; otherwise the type's own namespace, else the enclosing one. */
function fullNameOf(definition: JsonObject, enclosing: string): string {
  const name = String(definition.name);
  if (name.includes('.')) return name;
  const namespace = typeof definition.namespace === 'string' ? definition.namespace : enclosing;
  return namespace === '' ? name : `${namespace}.${name}`;
}

function qualify(reference: string, namespace: string): string {
  return reference.includes('.') || namespace === '' || PRIMITIVES.has(reference) ? reference : `${namespace}.${reference}`;
}

function namespaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? '' : fullName.slice(0, dot);
}
