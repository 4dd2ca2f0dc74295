// Azure clouds: where ARM, sign-in, Service Bus and Key Vault live in each one. Environments may override
// ARM and the authority (air-gapped or test setups).
export type CloudName = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud'

export interface Cloud {
  arm: string
  authorityHost: string
  serviceBusSuffix: string
  keyVaultSuffix: string
  /** Scope of ARM tokens. */
  armScope: string
}

export const CLOUDS: Record<CloudName, Cloud> = {
  AzureCloud: {
    arm: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    serviceBusSuffix: '.servicebus.windows.net',
    keyVaultSuffix: '.vault.azure.net',
    armScope: 'https://management.azure.com/.default',
  },
  AzureUSGovernment: {
    arm: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    serviceBusSuffix: '.servicebus.usgovcloudapi.net',
    keyVaultSuffix: '.vault.usgovcloudapi.net',
    armScope: 'https://management.usgovcloudapi.net/.default',
  },
  AzureChinaCloud: {
    arm: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    serviceBusSuffix: '.servicebus.chinacloudapi.cn',
    keyVaultSuffix: '.vault.azure.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
  },
}

/** The AKS AAD server application: tokens for AAD-enabled clusters are minted for it (no kubelogin needed). */
export const AKS_AAD_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default'
