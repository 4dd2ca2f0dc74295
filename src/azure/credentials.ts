// Credentials for Azure clients. `--auth`/MKT_AUTH (or `auth:` in mkt.yaml) picks the @azure/identity
// credential; `default` is DefaultAzureCredential. The sandbox uses its static token. MKT_AZURE_ACCESS_TOKEN
// (a token fetched elsewhere) is honoured for tests and break-glass use: it never comes from a flag.
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { usageError } from '../errors.js'
import type { Environment } from '../platform/schema.js'
import { redactor } from '../redact.js'
import { CLOUDS } from './clouds.js'

/** A TokenCredential that always returns one token (the sandbox's bearer token, or MKT_AZURE_ACCESS_TOKEN). */
export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}

  async getToken(): Promise<AccessToken> {
    return { token: this.token, expiresOnTimestamp: Date.now() + 3600_000 }
  }
}

export const AUTH_KINDS = ['default', 'cli', 'workload', 'managed', 'environment', 'device'] as const
export type AuthKind = (typeof AUTH_KINDS)[number]

/** What to tell a person whose credential of this kind failed. */
export const AUTH_HINTS: Record<AuthKind | 'token', string> = {
  default: 'Run `az login` (laptop), or set AZURE_FEDERATED_TOKEN_FILE/AZURE_CLIENT_ID/AZURE_TENANT_ID (workload identity in a pipeline).',
  cli: 'Run `az login` (and `az account set --subscription …`).',
  workload: 'Set AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID (the pipeline’s federated credential).',
  managed: 'Run on an Azure resource with a managed identity; set clientId in mkt.yaml for a user-assigned one.',
  environment: 'Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH).',
  device: 'Run mkt on a terminal and follow the device-code prompt.',
  token: 'MKT_AZURE_ACCESS_TOKEN holds a token that was rejected or expired: fetch a new one.',
}

export function authKindOf(environment: Environment, override?: string): AuthKind | 'token' {
  if (process.env.MKT_AZURE_ACCESS_TOKEN) return 'token'
  const kind = override ?? process.env.MKT_AUTH ?? environment.auth ?? 'default'
  if (!(AUTH_KINDS as readonly string[]).includes(kind)) throw usageError(`unknown --auth "${kind}"`, { hints: [`Use one of ${AUTH_KINDS.join(', ')}.`] })
  return kind as AuthKind
}

/** The credential for an environment, loaded only when used. Device code needs a human at a terminal. */
export async function credentialFor(environment: Environment, options: { auth?: string; interactive?: boolean } = {}): Promise<{ credential: TokenCredential; kind: AuthKind | 'token' }> {
  const kind = authKindOf(environment, options.auth)
  if (kind === 'token') {
    redactor.register(process.env.MKT_AZURE_ACCESS_TOKEN)
    return { credential: new StaticTokenCredential(process.env.MKT_AZURE_ACCESS_TOKEN!), kind }
  }
  const identity = await import('@azure/identity')
  const authorityHost = environment.endpoints?.authorityHost ?? CLOUDS[environment.cloud].authorityHost
  const tenantId = environment.tenantId ?? process.env.AZURE_TENANT_ID
  const clientId = environment.clientId ?? process.env.AZURE_CLIENT_ID
  const common = { authorityHost, ...(tenantId ? { tenantId } : {}) }
  switch (kind) {
    case 'cli':
      return { credential: new identity.AzureCliCredential(tenantId ? { tenantId } : {}), kind }
    case 'workload':
      return { credential: new identity.WorkloadIdentityCredential({ ...common, ...(clientId ? { clientId } : {}) }), kind }
    case 'managed':
      return { credential: clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential(), kind }
    case 'environment':
      return { credential: new identity.EnvironmentCredential(common), kind }
    case 'device':
      if (options.interactive === false) throw usageError('--auth device needs a terminal to show the sign-in code', { hints: ['In a pipeline use --auth workload (or managed).'] })
      return { credential: new identity.DeviceCodeCredential({ ...common, ...(clientId ? { clientId } : {}), userPromptCallback: (info) => process.stderr.write(`${info.message}\n`) }), kind }
    default:
      return { credential: new identity.DefaultAzureCredential({ ...common, ...(clientId ? { managedIdentityClientId: clientId } : {}) }), kind }
  }
}
