import { ErrorCode, isKascadeError, KascadeError } from '../errors.js';

export interface ModelCacheStats {
  /** Models loaded because a record needed one that was not loaded. */
  loads: number;
  /** Loaded models released to make room (least recently used first). */
  evictions: number;
  /** Batches served by a model that was already loaded. */
  hits: number;
  /** Hot reloads: new versions switched in, and new versions that failed (the old one kept serving). */
  reloads: number;
  reloadFailures: number;
}

interface Version<M> {
  readonly model: M;
  /** Runs using this version right now: it is released only when they are done. */
  pins: number;
  retired: boolean;
}

interface Entry<M> {
  current?: Version<M>;
  loading?: Promise<Version<M>>;
  lastUsed: number;
}

export interface ModelCacheOptions<M> {
  /** Beam's max_models_per_worker_hint. Exceeded only while every loaded model is in use. */
  readonly capacity: number;
  readonly load: (id: string) => Promise<M>;
  readonly release: (model: M) => Promise<void>;
  /** Told of every counted event with its model id (metrics per model). */
  readonly onEvent?: (event: ModelCacheEvent, id: string) => void;
}

export type ModelCacheEvent = keyof ModelCacheStats;

/**
 * Loaded models by id, least recently used released first. A model is pinned while a batch
 * runs on it, so eviction and hot reload never pull a session from under a running batch;
 * they release it when the batch is done. Records for a model that is loading wait for that
 * load alone: batches of other models go on.
 */
export class ModelCache<M> {
  readonly stats: ModelCacheStats = { loads: 0, evictions: 0, hits: 0, reloads: 0, reloadFailures: 0 };
  private readonly entries = new Map<string, Entry<M>>();
  private tick = 0;

  constructor(private readonly options: ModelCacheOptions<M>) {}

  /** Runs `work` with the current version of model `id`, loading it first if needed. */
  async use<R>(id: string, work: (model: M) => Promise<R>): Promise<R> {
    const version = await this.acquire(id);
    try {
      return await work(version.model);
    } finally {
      version.pins--;
      if (version.retired && version.pins === 0) await this.options.release(version.model);
      await this.trim();
    }
  }

  /** Switches model `id` to `model` for the next batches (hot reload); false when `id` is not loaded. */
  async replace(id: string, model: M): Promise<boolean> {
    const entry = this.entries.get(id);
    const old = entry?.current;
    if (entry === undefined || old === undefined) {
      await this.options.release(model);
      return false;
    }
    entry.current = { model, pins: 0, retired: false };
    this.count('reloads', id);
    await this.retire(old);
    return true;
  }

  /** Ids of the models loaded now, most recently used first. */
  loadedIds(): string[] {
    return [...this.entries]
      .filter(([, entry]) => entry.current !== undefined)
      .sort(([, a], [, b]) => b.lastUsed - a.lastUsed)
      .map(([id]) => id);
  }

  /** The loaded version of `id` without loading or pinning it (for the reload watcher). */
  peek(id: string): M | undefined {
    return this.entries.get(id)?.current?.model;
  }

  /** Counts an event of model `id` (the reloader counts its failures here too). */
  count(event: ModelCacheEvent, id: string): void {
    this.stats[event]++;
    this.options.onEvent?.(event, id);
  }

  async close(): Promise<void> {
    const versions = [...this.entries.values()].flatMap((entry) => (entry.current === undefined ? [] : [entry.current]));
    this.entries.clear();
    for (const version of versions) await this.retire(version);
  }

  private async acquire(id: string): Promise<Version<M>> {
    let entry = this.entries.get(id);
    let version = entry?.current;
    if (entry !== undefined && version !== undefined) {
      this.count('hits', id);
    } else {
      let loading = entry?.loading;
      if (entry === undefined || loading === undefined) {
        loading = this.loadVersion(id);
        entry = { loading, lastUsed: this.tick };
        this.entries.set(id, entry);
        this.count('loads', id);
      }
      try {
        version = entry.current ?? (await loading);
        entry.current = version;
      } catch (error) {
        if (this.entries.get(id) === entry) this.entries.delete(id);
        throw error;
      } finally {
        delete entry.loading;
      }
    }
    version.pins++;
    entry.lastUsed = ++this.tick;
    // Re-inserted so iteration order is least recently used first.
    this.entries.delete(id);
    this.entries.set(id, entry);
    await this.trim();
    return version;
  }

  private async loadVersion(id: string): Promise<Version<M>> {
    try {
      return { model: await this.options.load(id), pins: 0, retired: false };
    } catch (error) {
      // A model that cannot be loaded now is a systemic fault (file gone, disk full): the stage pauses and retries rather than dead-lettering every record of that model.
      if (isKascadeError(error) && error.code === ErrorCode.ConfigInvalid) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      // The model source and the workers already start their messages with the model: not twice.
      const named = reason.startsWith(`model ${id}:`) || reason.startsWith(`model ${id}@`);
      throw new KascadeError(ErrorCode.ModelLoadFailed, named ? reason : `model ${id}: ${reason}`, { retriable: true, cause: error });
    }
  }

  /**
   * Evicts least recently used models until the cache fits its capacity. It stops at a model in
   * use rather than skip it: evicting a more recently used model instead would thrash, so the
   * cache overflows until the older model's batch is done and it can go.
   */
  private async trim(): Promise<void> {
    for (const [id, entry] of this.entries) {
      if (this.loadedCount() <= this.options.capacity) return;
      const version = entry.current;
      if (version === undefined) continue;
      if (version.pins > 0) return;
      this.entries.delete(id);
      this.count('evictions', id);
      await this.retire(version);
    }
  }

  private loadedCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.current !== undefined) count++;
    return count;
  }

  private async retire(version: Version<M>): Promise<void> {
    version.retired = true;
    if (version.pins === 0) await this.options.release(version.model);
  }
}
