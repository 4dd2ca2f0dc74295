// A SecretClient for an environment: the sandbox's Key Vault for `local`, the vault in mkt.yaml otherwise
// (operator identity). Every secret value read through here is registered with the redactor at once.
import type { SecretClient } from '@azure/keyvault-secrets'
import { configError } from '../errors.js'
import type { Environment, Platform } from '../platform/schema.js'
import { credentialFor } from './credentials.js'
import { ensureReachable } from './failures.js'
import { sandboxAzureEndpoint } from './sandbox.js'

export interface KeyVaultTarget {
  client: SecretClient
  url: string
}

export async function keyVaultFor(platform: Platform, environment: Environment): Promise<KeyVaultTarget> {
  const { SecretClient } = await import('@azure/keyvault-secrets')
  const config = environment.keyVault
  if (!config) {
    throw configError(`environment ${environment.name} has no keyVault in mkt.yaml`, { hints: ['Add `keyVault: { url: https://<vault>.vault.azure.net/ }` to the environment.'] })
  }
  const retryOptions = { maxRetries: 4 }
  if ('sandbox' in config) {
    const endpoint = await sandboxAzureEndpoint(platform, 'keyVault')
    return {
      // The sandbox's challenge names a resource on its loopback address, not *.vault.azure.net.
      client: new SecretClient(endpoint.url, endpoint.credential, { tlsOptions: { ca: endpoint.ca }, disableChallengeResourceVerification: true, retryOptions } as never),
      url: endpoint.url,
    }
  }
  await ensureReachable(`Key Vault ${config.url}`, new URL(config.url).hostname)
  return { client: new SecretClient(config.url, (await credentialFor(environment)).credential, { retryOptions }), url: config.url }
}
