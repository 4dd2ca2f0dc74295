// The Service Bus endpoint's files in the data dir: the namespace's shared access key (generated once,
// kept across restarts and resets like the token) and the SAS connection string for the current
// port, rewritten on every start (its port is the one the next start tries first, as the kubeconfig's
// is for the Kubernetes API). Light on imports: the CLI side may read these.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { readFileIfPresent, writePrivateFile } from '../files.js'

/** The shared access key of `RootManageSharedAccessKey` (0600). */
export const SERVICEBUS_KEY_FILE = 'servicebus.key'
/** `Endpoint=sb://127.0.0.1:PORT/;SharedAccessKeyName=…;SharedAccessKey=…` (0600). */
export const SERVICEBUS_CONNECTION_FILE = 'servicebus.connection'
/** The namespace's queues, topics, subscriptions and rules (removed by `mkt sandbox reset`). */
export const SERVICEBUS_ENTITIES_FILE = 'servicebus.json'
export const SAS_KEY_NAME = 'RootManageSharedAccessKey'

/** A key shaped like Azure's: 32 random bytes, base64 (44 characters). */
export function newSharedAccessKey(): string {
  return randomBytes(32).toString('base64')
}

/** Loads the namespace key, creating it on first start. */
export async function ensureServiceBusKey(dataDir: string): Promise<string> {
  const path = join(dataDir, SERVICEBUS_KEY_FILE)
  const existing = (await readFileIfPresent(path))?.trim()
  if (existing) return existing
  const key = newSharedAccessKey()
  await writePrivateFile(path, `${key}\n`)
  return key
}

/** The SAS connection string for an endpoint `https://127.0.0.1:PORT`. */
export function serviceBusConnectionString(endpoint: string, key: string): string {
  return `Endpoint=sb://${new URL(endpoint).host}/;SharedAccessKeyName=${SAS_KEY_NAME};SharedAccessKey=${key}`
}

export async function writeServiceBusConnectionString(dataDir: string, endpoint: string, key: string): Promise<string> {
  const connectionString = serviceBusConnectionString(endpoint, key)
  await writePrivateFile(join(dataDir, SERVICEBUS_CONNECTION_FILE), `${connectionString}\n`)
  return connectionString
}

/** The SAS connection string of the running (or last) sandbox, if it ever started its Service Bus endpoint. */
export async function readServiceBusConnectionString(dataDir: string): Promise<string | undefined> {
  return (await readFileIfPresent(join(dataDir, SERVICEBUS_CONNECTION_FILE)))?.trim() || undefined
}

/** The port of the previous run (to reuse it, so connection strings handed out keep working). */
export async function previousServiceBusPort(dataDir: string): Promise<number | undefined> {
  const text = await readServiceBusConnectionString(dataDir)
  const match = text === undefined ? null : /Endpoint=sb:\/\/127\.0\.0\.1:(\d+)/i.exec(text)
  return match === null ? undefined : Number(match[1])
}
