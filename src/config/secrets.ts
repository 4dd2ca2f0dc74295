// Key Vault secrets for configuration: their state (present, missing, changed, soft-deleted) without ever
// showing a value, and pushing values that come from an environment variable, a file or stdin, never a flag.
// An unchanged value creates no new version; a soft-deleted secret is recovered instead of failing with 409.
import type { SecretClient } from '@azure/keyvault-secrets'
import { readFileSync } from 'node:fs'
import { keyVaultError } from '../azure/keyvault.js'
import { configError, invalidInputError, usageError } from '../errors.js'
import { redactor } from '../redact.js'
import { SECRET_NAME } from './render.js'

export type SecretState = 'present' | 'missing' | 'changed' | 'unchanged' | 'deleted'

export interface SecretSources {
  fromEnv: string[]
  fromFile: string[]
  stdin?: string
}

/** Key Vault's limit on a secret value (25 KB); checked before anything is written. */
export const MAX_SECRET_BYTES = 25 * 1024

/** Registers the value at once, then refuses one Key Vault would refuse half-way through a push. */
function accepted(name: string, value: string, from: string): string {
  redactor.register(value)
  const bytes = Buffer.byteLength(value, 'utf8')
  if (bytes > MAX_SECRET_BYTES) {
    throw invalidInputError(`secret ${name} (from ${from}) is ${bytes} bytes: Key Vault holds at most ${MAX_SECRET_BYTES} bytes per secret; nothing was written`, {
      hints: ['Split the value over several secrets, or keep large material (certificates, files) in a storage account and reference it.'],
    })
  }
  return value
}

/** Resolves `NAME=VAR`, `NAME=path` and `--stdin NAME` to values, registering every value with the redactor. */
export function readSecretValues(sources: SecretSources, readStdin: () => string): Map<string, string> {
  const values = new Map<string, string>()
  const pair = (text: string, flag: string) => {
    const at = text.indexOf('=')
    const name = at > 0 ? text.slice(0, at) : ''
    const ref = at > 0 ? text.slice(at + 1) : ''
    if (!SECRET_NAME.test(name) || ref === '') throw usageError(`${flag} takes NAME=${flag === '--from-env' ? 'VARIABLE' : 'PATH'}, got "${text.replace(/=.*/, '=…')}"`)
    if (values.has(name)) throw usageError(`secret ${name} is given twice`)
    return { name, ref }
  }
  for (const spec of sources.fromEnv) {
    const { name, ref } = pair(spec, '--from-env')
    const value = process.env[ref]
    if (value === undefined) throw configError(`environment variable ${ref} (for secret ${name}) is not set`, { hints: [`Export ${ref} before running mkt, e.g. from your pipeline's secret store.`] })
    values.set(name, accepted(name, value, `environment variable ${ref}`))
  }
  for (const spec of sources.fromFile) {
    const { name, ref } = pair(spec, '--from-file')
    let value: string
    try {
      value = readFileSync(ref, 'utf8').replace(/\r?\n$/, '')
    } catch (error) {
      throw configError(`cannot read ${ref} (for secret ${name}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    values.set(name, accepted(name, value, ref))
  }
  if (sources.stdin !== undefined) {
    if (!SECRET_NAME.test(sources.stdin)) throw usageError(`--stdin takes a Key Vault secret name, got "${sources.stdin}"`)
    if (values.has(sources.stdin)) throw usageError(`secret ${sources.stdin} is given twice`)
    const value = readStdin().replace(/\r?\n$/, '')
    values.set(sources.stdin, accepted(sources.stdin, value, 'stdin'))
  }
  return values
}

const codeOf = (error: unknown) => (error as { code?: string; statusCode?: number }).code ?? String((error as { statusCode?: number }).statusCode ?? '')
const isNotFound = (error: unknown) => codeOf(error) === 'SecretNotFound' || codeOf(error) === '404' || (error as { statusCode?: number }).statusCode === 404

/** What Key Vault has for `name` (compared with `wanted` when given) and its current version. The value read is redacted at once. */
export async function secretInfo(client: SecretClient, name: string, wanted?: string): Promise<{ state: SecretState; version: string | null }> {
  try {
    const secret = await client.getSecret(name)
    redactor.register(secret.value)
    const version = secret.properties.version ?? null
    if (wanted === undefined) return { state: 'present', version }
    return { state: secret.value === wanted ? 'unchanged' : 'changed', version }
  } catch (error) {
    if (!isNotFound(error)) throw keyVaultError(error, client.vaultUrl, `read secret ${name}`)
  }
  try {
    await client.getDeletedSecret(name)
    return { state: 'deleted', version: null }
  } catch (error) {
    if (isNotFound(error)) return { state: 'missing', version: null }
    throw keyVaultError(error, client.vaultUrl, `read deleted secret ${name}`)
  }
}

export async function secretState(client: SecretClient, name: string, wanted?: string): Promise<SecretState> {
  return (await secretInfo(client, name, wanted)).state
}

/** Makes Key Vault hold `value` for `name`: recover a soft-deleted one first, write only when it differs. */
export async function pushSecret(client: SecretClient, name: string, value: string): Promise<'unchanged' | 'created' | 'updated' | 'recovered'> {
  let state = await secretState(client, name, value)
  let recovered = false
  if (state === 'deleted') {
    try {
      const poller = await client.beginRecoverDeletedSecret(name, { updateIntervalInMs: 200 } as never)
      await poller.pollUntilDone()
    } catch (error) {
      throw keyVaultError(error, client.vaultUrl, `recover secret ${name}`)
    }
    recovered = true
    state = await secretState(client, name, value)
  }
  if (state === 'unchanged') return recovered ? 'recovered' : 'unchanged'
  try {
    await client.setSecret(name, value)
  } catch (error) {
    throw keyVaultError(error, client.vaultUrl, `write secret ${name}`)
  }
  return state === 'missing' ? 'created' : recovered ? 'recovered' : 'updated'
}
