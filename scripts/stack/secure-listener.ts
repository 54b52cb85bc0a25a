import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScramMechanism } from './scram-users.js';
import { stateDirs } from './paths.js';

/**
 * How to reach the local broker's SASL_SSL listener: written by the stack at start into its run
 * folder (mode 0600), read by tests and by developers who want to try TLS and SCRAM. The
 * password is generated there and kept across restarts; it is in no log and no command line.
 */
export interface SecureListener {
  readonly brokers: string;
  readonly securityProtocol: 'SASL_SSL';
  readonly mechanisms: readonly ScramMechanism[];
  readonly username: string;
  readonly password: string;
  /** The private CA that signed the broker's certificate (PEM). */
  readonly caFile: string;
  /** The broker's own keystore (PKCS12), for a test server that needs a certificate this CA signed. */
  readonly serverKeystore: { readonly file: string; readonly password: string };
}

export const SECURE_USER = 'kascade';
export const SECURE_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

export function secureListenerFile(stackDir: string, name: string): string {
  return join(stateDirs(stackDir).run, `${name}-secure.json`);
}

export function writeSecureListener(file: string, listener: SecureListener): void {
  writeFileSync(file, `${JSON.stringify(listener, null, 2)}\n`, { mode: 0o600 });
}

/** The listener described in `file`, or undefined when the stack that runs has none (started before it existed, or foreign). */
export function readSecureListener(file: string): SecureListener | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SecureListener>;
  if (typeof parsed.brokers !== 'string' || typeof parsed.password !== 'string' || typeof parsed.caFile !== 'string') return undefined;
  return parsed as SecureListener;
}

/** The environment a kascade process needs to use the listener with `mechanism`. */
export function secureClientEnv(listener: SecureListener, mechanism: ScramMechanism): Record<string, string> {
  return {
    KAFKA_BROKERS: listener.brokers,
    KAFKA_SECURITY_PROTOCOL: listener.securityProtocol,
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: listener.username,
    KAFKA_SASL_PASSWORD: listener.password,
    KAFKA_SSL_CA_LOCATION: listener.caFile,
  };
}
