import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';

type TemporalConfig = Config['temporal'];

function tlsOptions(t: TemporalConfig) {
  if (!t.tls) return undefined;
  const read = (p?: string) => (p ? fs.readFileSync(p) : undefined);
  const cert = read(t.tls.certPath);
  const key = read(t.tls.keyPath);
  return {
    serverNameOverride: t.tls.serverName,
    serverRootCACertificate: read(t.tls.caPath),
    ...(cert && key ? { clientCertPair: { crt: cert, key } } : {}),
  };
}

function requireAddress(t: TemporalConfig): string {
  if (!t.address) throw new Error('TEMPORAL_ADDRESS is not set');
  return t.address;
}

export async function connectClient(t: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({
    address: requireAddress(t),
    tls: tlsOptions(t),
    apiKey: t.apiKey,
  });
  return new Client({ connection, namespace: t.namespace });
}

export function connectWorkerConnection(t: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: requireAddress(t), tls: tlsOptions(t), apiKey: t.apiKey });
}
