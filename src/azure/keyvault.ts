// A SecretClient for an environment: the sandbox's Key Vault for `local`, the vault in mkt.yaml otherwise
// (operator identity). Every secret value read through here is registered with the redactor at once.
import type { SecretClient } from '@azure/keyvault-secrets'
import { authError, configError, failedError, MktError, unavailableError } from '../errors.js'
import type { Environment, Platform } from '../platform/schema.js'
import { AUTH_HINTS, credentialFor } from './credentials.js'
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
    const endpoint = await sandboxAzureEndpoint(platform, 'keyVault', environment.name)
    return {
      // The sandbox's challenge names a resource on its loopback address, not *.vault.azure.net.
      client: new SecretClient(endpoint.url, endpoint.credential, { tlsOptions: { ca: endpoint.ca }, disableChallengeResourceVerification: true, retryOptions } as never),
      url: endpoint.url,
    }
  }
  await ensureReachable(`Key Vault ${config.url}`, new URL(config.url).hostname)
  return { client: new SecretClient(config.url, (await credentialFor(environment)).credential, { retryOptions }), url: config.url }
}

/** Network failures the SDK reports by code or message once its retries are spent. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|REQUEST_SEND_ERROR|other side closed|network/i

/**
 * Key Vault failures in mkt's terms, after the SDK's own retries: 401/403 and a missing credential are 77,
 * throttling (429), server errors (5xx) and dropped or refused connections are 69. Anything else is a failed
 * request (1), never an internal error.
 */
export function keyVaultError(error: unknown, vaultUrl: string, action: string): MktError {
  if (error instanceof MktError) return error
  const e = error as { name?: string; statusCode?: number; code?: string; message?: string }
  const status = e.statusCode
  const reason = `${status ?? e.code ?? e.name ?? 'error'}: ${(e.message ?? String(error)).split('\n')[0]}`
  if (status === 401 || status === 403 || e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError') {
    return authError(`Key Vault ${vaultUrl} denied ${action} (${reason})`, {
      hints: [status === 403 ? 'The identity needs the "Key Vault Secrets Officer" role (or Secrets User to read) on the vault.' : AUTH_HINTS.default],
    })
  }
  if (status === 429 || (status !== undefined && status >= 500) || UNREACHABLE.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
    return unavailableError(`Key Vault ${vaultUrl} is unavailable while trying to ${action} (${reason}), after retries`, {
      hints: ['Retry in a moment: nothing after the failed step was changed, and a rerun skips what is already done.'],
    })
  }
  return failedError(`Key Vault ${vaultUrl}: ${action} failed (${reason})`)
}
