// Starts the sandbox Key Vault: loads keyvault.json, listens on 127.0.0.1 (the previous run's port
// when free), persists every change durably before answering, and registers the control route
// `GET /_sandbox/keyvault/stats` on the Kubernetes listener's authenticated /_sandbox/ router.
import { join } from 'node:path'
import { readFileIfPresent, writeFileDurably } from '../files.js'
import { listenRemembering, type SandboxEndpointOptions } from '../listener.js'
import type { Clock } from '../types.js'
import { KeyVaultServer } from './server.js'
import { parseDocument, SecretStore, type KeyVaultDocument } from './store.js'

export { SANDBOX_TENANT_ID } from './server.js'

/** The secrets (values included: 0600 in the 0700 data dir). Removed by `mkt sandbox reset`. */
export const KEYVAULT_FILE = 'keyvault.json'
/** The listener's last port, kept across resets so the endpoint stays put (like the kubeconfig's). */
export const KEYVAULT_PORT_FILE = 'keyvault.port'

export interface StartKeyVaultOptions extends SandboxEndpointOptions {
  /** The sandbox credentials: server certificate and key, and the bearer token clients present. */
  credentials: { serverCert: string; serverKey: string; token: string }
  /** The sandbox clock (created/updated/deleted times, the 90-day purge). */
  clock: Clock
}

export interface KeyVaultHandle {
  /** `https://127.0.0.1:<port>`: the vault URL for `new SecretClient(url, …)`. */
  url: string
  store: SecretStore
  /** Sets each secret that does not exist yet (a fresh sandbox's local values); resolves once on disk. */
  seed(values: Record<string, string>): Promise<number>
  stop(): Promise<void>
}

async function loadDocument(path: string): Promise<KeyVaultDocument | undefined> {
  const text = await readFileIfPresent(path)
  if (text === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // Not quoting the parser's message: it would show part of the file, values included.
    throw new Error(`${path} is not valid JSON; remove it (or run mkt sandbox reset) to start with an empty vault`)
  }
  return parseDocument(json, path)
}

/**
 * Coalesces durable snapshots: `flush()` resolves once a snapshot taken after the call is on disk.
 * Writes never overlap (they share one temp file); changes made during a write go into the next.
 */
class SnapshotWriter {
  private running: Promise<void> | undefined
  private queued: Promise<void> | undefined

  constructor(
    private readonly path: string,
    private readonly snapshot: () => string,
  ) {}

  flush(): Promise<void> {
    this.queued ??= (async () => {
      await this.running?.catch(() => {})
      this.queued = undefined
      const write = writeFileDurably(this.path, this.snapshot())
      this.running = write
      try {
        await write
      } finally {
        if (this.running === write) this.running = undefined
      }
    })()
    return this.queued
  }

  /** Waits for the write in progress (and the one queued), for a clean stop. */
  async settled(): Promise<void> {
    await this.queued?.catch(() => {})
    await this.running?.catch(() => {})
  }
}

export async function startKeyVault(options: StartKeyVaultOptions): Promise<KeyVaultHandle> {
  const log = options.log ?? (() => {})
  const file = join(options.dataDir, KEYVAULT_FILE)
  const store = new SecretStore({ now: () => options.clock.now(), document: await loadDocument(file) })
  const writer = new SnapshotWriter(file, () => `${JSON.stringify(store.toDocument())}\n`)

  const server = new KeyVaultServer({
    store,
    tls: { cert: options.credentials.serverCert, key: options.credentials.serverKey },
    token: options.credentials.token,
    persist: () => writer.flush(),
    faultHook: options.faultHook,
    log,
  })
  await listenRemembering(server, options.port, join(options.dataDir, KEYVAULT_PORT_FILE))

  options.api.registerSandboxRoute('GET', '/_sandbox/keyvault/stats', () => ({ body: { ...store.stats } }))
  log(`sandbox Key Vault listening on ${server.url} (${store.list().length} secrets)`)

  return {
    url: server.url,
    store,
    async seed(values) {
      const missing = Object.entries(values).filter(([name]) => store.listVersions(name).length === 0)
      for (const [name, value] of missing) store.set(name, { value, contentType: 'text/plain', tags: { source: 'mkt-sandbox-seed' } })
      if (missing.length > 0) await writer.flush()
      return missing.length
    },
    async stop() {
      await server.close()
      await writer.settled()
    },
  }
}
