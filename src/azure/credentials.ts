// Credentials for Azure clients. The Azure issue adds the full --auth choice; today: the sandbox's static
// token for `local`, DefaultAzureCredential otherwise, or a SAS connection string from the environment.
import type { AccessToken, TokenCredential } from '@azure/core-auth'

/** A TokenCredential that always returns one token (the sandbox's bearer token). */
export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}

  async getToken(): Promise<AccessToken> {
    return { token: this.token, expiresOnTimestamp: Date.now() + 3600_000 }
  }
}

/** The operator's Azure identity (az login, workload identity, managed identity…), loaded only when used. */
export async function defaultAzureCredential(tenantId?: string): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity')
  return new DefaultAzureCredential(tenantId ? { tenantId } : {})
}
