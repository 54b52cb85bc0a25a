import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { ErrorCode, KascadeError } from '../errors.js';
import type { ModelRefSpec } from '../topology/spec.js';

/** A model file's bytes and the version they are. */
export interface ModelFile {
  readonly id: string;
  readonly path: string;
  readonly version: string;
  readonly bytes: Uint8Array;
  /** What the file looked like when read, to notice changes cheaply (hot reload). */
  readonly stamp: string;
}

/** Where model files come from: a models root that no model path may leave. */
export class ModelSource {
  constructor(readonly root: string) {}

  /** The absolute path of a model, or ConfigInvalid when it would leave the models root. */
  resolvePath(model: ModelRefSpec): string {
    const path = resolve(this.root, model.path);
    if (isAbsolute(model.path) || escapes(this.root, path)) {
      throw new KascadeError(ErrorCode.ConfigInvalid, `model ${model.id}: path ${model.path} is outside the models root ${this.root}`);
    }
    return path;
  }

  /** Reads the model's bytes; the version is the declared one or a hash of the content. */
  async read(model: ModelRefSpec): Promise<ModelFile> {
    const path = this.resolvePath(model);
    let bytes: Buffer;
    let stamp: string;
    try {
      // Symbolic links must not lead out of the root either.
      const real = await realpath(path);
      if (escapes(await realpath(this.root), real)) {
        throw new KascadeError(ErrorCode.ConfigInvalid, `model ${model.id}: ${model.path} links outside the models root ${this.root}`);
      }
      [bytes, stamp] = await Promise.all([readFile(real), this.stamp(model)]);
    } catch (error) {
      if (error instanceof KascadeError) throw error;
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
      throw new KascadeError(ErrorCode.ModelLoadFailed, `model ${model.id}: cannot read ${path}: ${reason}`, { cause: error });
    }
    const digest = sha256Hex(bytes);
    this.checkPin(model, digest);
    return { id: model.id, path, version: model.version ?? versionOf(digest), bytes, stamp };
  }

  /** A pinned model whose file has another digest is not loaded: at start the stage fails, at reload the old version stays. */
  private checkPin(model: ModelRefSpec, digest: string): void {
    const expected = model.sha256?.toLowerCase();
    if (expected === undefined || expected === digest) return;
    const where = relative(this.root, this.resolvePath(model));
    throw new KascadeError(ErrorCode.ModelLoadFailed, `model ${model.id}: ${where} does not match its sha256 pin: expected ${expected}, the file has ${digest}`);
  }

  /** Size and modification time: changes when the file is rewritten or replaced. */
  async stamp(model: ModelRefSpec): Promise<string> {
    const info = await stat(this.resolvePath(model));
    return `${info.size}:${info.mtimeMs}:${info.ino}`;
  }
}

export function contentVersion(bytes: Uint8Array): string {
  return versionOf(sha256Hex(bytes));
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function versionOf(digest: string): string {
  return `sha256:${digest.slice(0, 12)}`;
}

function escapes(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel);
}
