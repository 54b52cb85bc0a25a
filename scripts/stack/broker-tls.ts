import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Log } from './fetch.js';
import { shown } from './paths.js';
import { lastLines } from './run-command.js';

/** The local broker's TLS material: a private CA and a server certificate it signed, for 127.0.0.1. */
export interface BrokerTls {
  /** The CA's certificate (PEM): what clients trust (KAFKA_SSL_CA_LOCATION). */
  readonly caFile: string;
  /** PKCS12 with the broker's key and certificate chain (Kafka's ssl.keystore.location). */
  readonly keystoreFile: string;
  readonly keystorePassword: string;
}

const COMPLETE = '.complete';
const PASSWORD_FILE = 'store-password';
const VALID_DAYS = '3650';
/** keytool reads store passwords from this variable (`-storepass:env`), so they never show in a process list. */
const PASSWORD_VARIABLE = 'KASCADE_STACK_STORE_PASSWORD';

/** The keytool of the JDK that runs the broker (keytool ships with every JDK and JRE; openssl may be missing). */
export function keytoolBeside(java: string): string {
  if (!java.includes('/')) return 'keytool';
  return join(dirname(realpathSync(java)), 'keytool');
}

/**
 * Makes the CA and the broker's certificate once into `dir` (kept across restarts, like the
 * broker's data). Written into a scratch folder renamed into place when complete, so an
 * interrupted run never leaves half a keystore behind.
 */
export async function ensureBrokerTls(java: string, dir: string, log: Log): Promise<BrokerTls> {
  const tls: BrokerTls = { caFile: join(dir, 'ca.pem'), keystoreFile: join(dir, 'broker.p12'), keystorePassword: '' };
  if (existsSync(join(dir, COMPLETE))) return { ...tls, keystorePassword: readFileSync(join(dir, PASSWORD_FILE), 'utf8') };
  const started = Date.now();
  const scratch = `${dir}.partial`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const keytool = keytoolBeside(java);
  const run = (...args: string[]): Promise<void> => runKeytool(keytool, args, scratch, password);
  const store = (name: string): string[] => ['-keystore', name, '-storetype', 'PKCS12', '-storepass:env', PASSWORD_VARIABLE];
  const keyPair = ['-genkeypair', '-keyalg', 'EC', '-groupname', 'secp256r1', '-validity', VALID_DAYS];
  // Four rounds of JVM starts, two at a time where they do not depend on each other.
  await Promise.all([
    run(...keyPair, '-alias', 'ca', '-dname', 'CN=kascade local stack CA', '-ext', 'bc:c', ...store('ca.p12')),
    run(...keyPair, '-alias', 'broker', '-dname', 'CN=127.0.0.1', ...store('broker.p12')),
  ]);
  await Promise.all([
    run('-exportcert', '-alias', 'ca', '-rfc', '-file', 'ca.pem', ...store('ca.p12')),
    run('-certreq', '-alias', 'broker', '-file', 'broker.csr', ...store('broker.p12')),
  ]);
  await Promise.all([
    run('-gencert', '-alias', 'ca', '-infile', 'broker.csr', '-outfile', 'broker.crt', '-rfc', '-validity', VALID_DAYS,
      '-ext', 'san=ip:127.0.0.1,dns:localhost', '-ext', 'ku:c=digitalSignature,keyEncipherment', '-ext', 'eku=serverAuth', ...store('ca.p12')),
    run('-importcert', '-alias', 'ca', '-file', 'ca.pem', '-noprompt', ...store('broker.p12')),
  ]);
  await run('-importcert', '-alias', 'broker', '-file', 'broker.crt', '-noprompt', ...store('broker.p12'));
  writeFileSync(join(scratch, PASSWORD_FILE), password, { mode: 0o600 });
  writeFileSync(join(scratch, COMPLETE), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  log(`made a private CA and a certificate for 127.0.0.1 in ${shown(dir)} in ${((Date.now() - started) / 1000).toFixed(1)} s (once)`);
  return { ...tls, keystorePassword: password };
}

function runKeytool(keytool: string, args: readonly string[], cwd: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(keytool, args, { cwd, env: { ...process.env, [PASSWORD_VARIABLE]: password }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (error) => reject(new Error(`cannot run ${keytool} (it comes with the JDK): ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`keytool ${args[0] ?? ''} failed (exit ${String(code)}):\n${lastLines(Buffer.concat(chunks).toString('utf8'), 10)}`));
    });
  });
}
