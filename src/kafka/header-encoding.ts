import { createRequire } from 'node:module';

/**
 * kafkajs encodes every record header with a fresh 512-byte, zero-filled buffer. A stage's
 * outputs carry about ten headers (lineage, experiment, prediction), so that allocation was the
 * largest single cost of producing (a quarter of a router's CPU). This swaps in the same
 * encoding with a buffer sized to the header: byte for byte the same wire format
 * (test/kafka/header-encoding.test.ts checks it against kafkajs's own).
 *
 * It must run before kafkajs is first loaded, because kafkajs's record encoder keeps a reference
 * to the header encoder it required: client.ts, the one module loading kafkajs, imports this
 * first. If the file layout of kafkajs ever differs, nothing is changed.
 */

/** The header encoder's module, as kafkajs 2.x lays it out. */
const HEADER_MODULE = 'kafkajs/src/protocol/recordBatch/header/v0/index.js';
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';

interface KafkajsEncoder {
  writeVarIntString(value: string): KafkajsEncoder;
  writeVarIntBytes(value: Buffer | string | null): KafkajsEncoder;
}

interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  sizeOfVarIntBytes(value: Buffer | string | null): number;
}

export type HeaderEncoder = (header: { key: string; value: Buffer | string | null }) => KafkajsEncoder;

/** The same encoding as kafkajs's header/v0, with a buffer sized to the header. */
export function sizedHeaderEncoder(Encoder: KafkajsEncoderClass): HeaderEncoder {
  return ({ key, value }) => new Encoder(Encoder.sizeOfVarIntBytes(key) + Encoder.sizeOfVarIntBytes(value)).writeVarIntString(key).writeVarIntBytes(value);
}

/** Installs the sized header encoder; false when kafkajs was already loaded or is laid out differently. */
export function installSizedHeaderEncoder(): boolean {
  const require = createRequire(import.meta.url);
  try {
    const headerPath = require.resolve(HEADER_MODULE);
    if (require.cache[require.resolve(RECORD_MODULE)] !== undefined) return false;
    require(headerPath);
    const cached = require.cache[headerPath];
    if (cached === undefined) return false;
    cached.exports = sizedHeaderEncoder(require(ENCODER_MODULE) as KafkajsEncoderClass);
    return true;
  } catch {
    return false;
  }
}

installSizedHeaderEncoder();
