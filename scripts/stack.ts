/**
 * The local development stack: a single-node Kafka broker (KRaft) on 127.0.0.1:9092 and a
 * Confluent-compatible schema registry (Apicurio) on 127.0.0.1:8081, run from jars fetched once
 * from Maven Central into .stack/.
 *
 *   tsx scripts/stack.ts up | down | status | reset
 */
import { SERVICES, describeState, serviceState, stackDown, stackReset, stackUp } from './stack/lifecycle.js';

const log = (line: string): void => {
  process.stderr.write(`stack: ${line}\n`);
};

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      await stackUp(log);
      log('up: Kafka at 127.0.0.1:9092, schema registry at http://127.0.0.1:8081/apis/ccompat/v7');
      return 0;
    case 'down':
      await stackDown(log);
      return 0;
    case 'reset':
      await stackReset(log);
      return 0;
    case 'status': {
      const states = await Promise.all(SERVICES.map(async (service) => ({ service, state: await serviceState(service) })));
      for (const { service, state } of states) process.stdout.write(`${describeState(service, state)}\n`);
      const allUp = states.every(({ state }) => state.kind === 'foreign' || (state.kind === 'ours' && state.answering));
      return allUp ? 0 : 3;
    }
    default:
      process.stderr.write('usage: tsx scripts/stack.ts up|down|status|reset\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
