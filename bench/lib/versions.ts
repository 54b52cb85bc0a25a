import { readFileSync } from 'node:fs';
import { APICURIO_VERSION, KAFKA_VERSION } from '../../scripts/stack/versions.js';

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
}

/** What the figures were measured with. */
export function versions(): Promise<Record<string, string>> {
  const kascade = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  return Promise.resolve({
    kascade,
    node: process.version,
    '@platformatic/kafka': packageVersion('@platformatic/kafka'),
    kafkajs: packageVersion('kafkajs'),
    'onnxruntime-node': packageVersion('onnxruntime-node'),
    avsc: packageVersion('avsc'),
    kafka: `${KAFKA_VERSION} (local single-node KRaft broker, scripts/stack)`,
    'apicurio-registry': APICURIO_VERSION,
  });
}
