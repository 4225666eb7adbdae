/**
 * The relay's TLS certificate and key: read from their files at start, and read again on
 * SIGHUP and swapped into the running server (`setSecureContext`), so a renewed certificate
 * (Let's Encrypt renews every 60–90 days) is served without a restart. Connections already
 * open keep the certificate they were made with; only new handshakes see the new one. A
 * pair that cannot be read or does not go together is refused and the old one stays.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import { errorMessage } from './log.js';
import type { ReloadResult, TlsCredentials } from './options.js';

/** The certificate chain and key files given on the command line. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export type TlsReadResult =
  | { readonly ok: true; readonly credentials: TlsCredentials }
  | {
      readonly ok: false;
      /** A file cannot be read (missing, permissions), or they are not a PEM chain and a key that go together. */
      readonly code: 'TLS_FILE_UNREADABLE' | 'TLS_INVALID';
      readonly message: string;
    };

/**
 * Reads both files and checks that they make a usable pair (OpenSSL parses them and
 * matches the key to the certificate), without installing them anywhere.
 */
export async function readTlsFiles(files: TlsFiles): Promise<TlsReadResult> {
  let credentials: TlsCredentials;
  try {
    const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
    credentials = { cert, key };
  } catch (err) {
    return { ok: false, code: 'TLS_FILE_UNREADABLE', message: `cannot read the TLS certificate or key: ${errorMessage(err)}` };
  }
  try {
    createSecureContext(credentials);
  } catch (err) {
    return { ok: false, code: 'TLS_INVALID', message: `the TLS certificate and key are not a usable pair: ${errorMessage(err)}` };
  }
  return { ok: true, credentials };
}

/** Installs a new certificate and key for the handshakes to come (none: the server has no TLS). */
export function swapCertificate(server: TlsServer | undefined, credentials: TlsCredentials): ReloadResult {
  if (server === undefined) return { ok: false, code: 'TLS_NOT_ENABLED', message: 'the relay was started without --tls-cert/--tls-key' };
  try {
    server.setSecureContext(credentials);
  } catch (err) {
    return { ok: false, code: 'TLS_INVALID', message: `the TLS certificate and key are not a usable pair: ${errorMessage(err)}` };
  }
  return { ok: true };
}
