import type { Logger } from '../telemetry/logger.js';
import type { ModelRefSpec } from '../topology/spec.js';
import type { ModelCache } from './model-cache.js';
import type { ModelFile, ModelSource } from './model-source.js';

/** What the reloader needs to know about a loaded model. */
export interface ReloadableModel {
  readonly file: Pick<ModelFile, 'version' | 'stamp'>;
}

export interface ModelReloaderOptions<M extends ReloadableModel> {
  readonly models: readonly ModelRefSpec[];
  readonly source: ModelSource;
  readonly cache: ModelCache<M>;
  /** Loads a new version beside the old one (a fresh session); throws if it is unusable. */
  readonly load: (model: ModelRefSpec, file: ModelFile) => Promise<M>;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly stage: string;
}

/** The stamp remembered for a model whose file was gone at the last look. */
const MISSING = 'missing';

/**
 * Hot reload. Polls the files of loaded models (polling survives editors and deploy tools that
 * replace files by rename, which file watchers miss); when one changed, loads the new version
 * beside the old and switches the cache to it, so the next batch runs on the new version while
 * a batch in flight finishes on the old. A file that does not load leaves the old version serving.
 */
export class ModelReloader<M extends ReloadableModel> {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  /** The stamp each model's file had when last looked at: a file is read again only when it changed since. */
  private readonly seen = new Map<string, string>();

  constructor(private readonly options: ModelReloaderOptions<M>) {}

  start(): void {
    this.timer = setInterval(() => {
      this.checking ??= this.check().finally(() => {
        this.checking = undefined;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** One pass over the loaded models (exposed so a caller can force a check). */
  async check(): Promise<void> {
    const { cache, source, logger, stage } = this.options;
    for (const model of this.options.models) {
      const loaded = cache.peek(model.id);
      if (loaded === undefined) continue;
      let stamp: string;
      try {
        stamp = await source.stamp(model);
      } catch (error) {
        // Deleted (or mid-replacement): the loaded version keeps serving. Said once per disappearance.
        if (this.seen.get(model.id) !== MISSING) {
          this.seen.set(model.id, MISSING);
          logger.warn('model file missing; the loaded version keeps serving', {
            stage,
            model: model.id,
            version: loaded.file.version,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        continue;
      }
      if (stamp === (this.seen.get(model.id) ?? loaded.file.stamp)) continue;
      this.seen.set(model.id, stamp);
      try {
        const file = await source.read(model);
        if (file.version === loaded.file.version) continue;
        const next = await this.options.load(model, file);
        if (await cache.replace(model.id, next)) {
          logger.info('model reloaded', { stage, model: model.id, from: loaded.file.version, to: file.version });
        }
      } catch (error) {
        cache.count('reloadFailures', model.id);
        logger.error('model reload failed; the loaded version keeps serving', {
          stage,
          model: model.id,
          version: loaded.file.version,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}
