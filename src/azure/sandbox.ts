// Where the sandbox's Azure endpoints are and how to trust and authenticate to them: read from its state,
// like any client would (the sandbox is reached over HTTPS only).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { unavailableError } from '../errors.js'
import { ensureSandbox } from '../kube/sandbox.js'
import type { Platform } from '../platform/schema.js'
import { redactor } from '../redact.js'
import { StaticTokenCredential } from './credentials.js'

export interface SandboxAzureEndpoint {
  /** `https://127.0.0.1:PORT` */
  url: string
  /** `127.0.0.1:PORT`: what ServiceBusAdministrationClient takes as its namespace. */
  host: string
  credential: StaticTokenCredential
  /** The sandbox CA, for the client's `tlsOptions.ca`. */
  ca: string
}

const SERVICE_NAMES = { serviceBus: 'Service Bus', keyVault: 'Key Vault', arm: 'ARM' } as const

export async function sandboxAzureEndpoint(platform: Platform, service: keyof typeof SERVICE_NAMES, environment: string): Promise<SandboxAzureEndpoint> {
  const state = await ensureSandbox(platform, { environment })
  const url = (state.endpoints as Record<string, string | undefined>)[service]
  if (!url) {
    throw unavailableError(`the running sandbox has no ${SERVICE_NAMES[service]} endpoint`, {
      hints: ['It was started by an older mkt: run `mkt sandbox stop` and try again.'],
    })
  }
  const [token, ca] = await Promise.all([readFile(join(state.dataDir, 'token'), 'utf8'), readFile(join(state.dataDir, 'ca.crt'), 'utf8')])
  redactor.register(token.trim())
  return { url, host: new URL(url).host, credential: new StaticTokenCredential(token.trim()), ca }
}
