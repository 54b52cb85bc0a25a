import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SettingProblems } from './environment.js';

/**
 * Reads the PEM file a variable names. On failure the problem names the variable and the path,
 * never the content (a key file's content is a secret), and undefined is returned.
 */
function readPem(variable: string, path: string, problems: SettingProblems): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    problems.add(`${variable}: cannot read ${path} (${reason})`);
    return undefined;
  }
}

/** One or more PEM certificates (a CA bundle, or a client certificate with its chain). */
export function readCertificates(variable: string, path: string, problems: SettingProblems): string | undefined {
  const pem = readPem(variable, path, problems);
  if (pem === undefined) return undefined;
  try {
    // Checked here so that a wrong file fails at start with its name, not at the first TLS handshake.
    new X509Certificate(pem);
    return pem;
  } catch {
    problems.add(`${variable}: ${path} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`);
    return undefined;
  }
}

/** Where a key's password comes from: the variable's name (for messages) and its value, if set. */
export interface KeyPassword {
  readonly variable: string;
  readonly value: string | undefined;
}

/** A PEM private key, decrypted with the password when one is set, to check both at start. */
export function readPrivateKey(variable: string, path: string, password: KeyPassword, problems: SettingProblems): string | undefined {
  const pem = readPem(variable, path, problems);
  if (pem === undefined) return undefined;
  try {
    createPrivateKey(password.value === undefined ? pem : { key: pem, passphrase: password.value });
    return pem;
  } catch (error) {
    const encrypted = pem.includes('ENCRYPTED');
    if (encrypted && password.value === undefined) problems.add(`${variable}: the key in ${path} is encrypted; set ${password.variable}`);
    else if (encrypted) problems.add(`${password.variable}: does not decrypt the key in ${path}`);
    else problems.add(`${variable}: ${path} holds no PEM private key (${error instanceof Error && 'code' in error ? String(error.code) : 'unreadable'})`);
    return undefined;
  }
}
