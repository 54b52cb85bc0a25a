import { ErrorCode, KascadeError } from '../errors.js';
import type { TransformFunction } from './transform-function.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Transforms by name. YAML only names them; the code is registered here through the TS API
 * (`registry.register('enrich', fn)`) or comes built in. One registry per application, passed
 * explicitly: no process-wide singleton.
 */
export class TransformRegistry {
  private readonly transforms = new Map<string, TransformFunction>();

  register(name: string, transform: TransformFunction): this {
    if (!NAME.test(name)) throw new KascadeError(ErrorCode.ConfigInvalid, `transform name "${name}" must match ${String(NAME)}`);
    if (this.transforms.has(name)) throw new KascadeError(ErrorCode.ConfigInvalid, `transform "${name}" is already registered`);
    this.transforms.set(name, transform);
    return this;
  }

  has(name: string): boolean {
    return this.transforms.has(name);
  }

  get(name: string): TransformFunction {
    const transform = this.transforms.get(name);
    if (transform === undefined) {
      throw new KascadeError(ErrorCode.UnknownPlugin, `unknown transform "${name}" (registered: ${this.names().join(', ') || 'none'})`);
    }
    return transform;
  }

  names(): string[] {
    return [...this.transforms.keys()].sort();
  }
}
