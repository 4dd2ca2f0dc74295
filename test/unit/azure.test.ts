import { describe, expect, it } from 'vitest'
import { armEndpointOf, armError } from '../../src/azure/aks.js'
import { CLOUDS } from '../../src/azure/clouds.js'
import { keyVaultError } from '../../src/azure/keyvault.js'
import { authKindOf } from '../../src/azure/credentials.js'
import { loginExitCode, type LoginCheck } from '../../src/azure/login.js'
import type { Environment } from '../../src/platform/schema.js'
import { errorOf } from '../helpers/errors.js'

const env = (over: Partial<Environment> = {}): Environment => ({ name: 'prod', protected: true, cloud: 'AzureCloud', regions: [], ...over }) as Environment
const where = { environment: 'prod', region: 'weu', cluster: 'aks-1', endpoint: 'https://management.azure.com', auth: 'cli' }

describe('Azure access', () => {
  it('picks the credential from MKT_AUTH, then mkt.yaml, then default; rejects unknown kinds', () => {
    delete process.env.MKT_AZURE_ACCESS_TOKEN
    delete process.env.MKT_AUTH
    expect(authKindOf(env())).toBe('default')
    expect(authKindOf(env({ auth: 'workload' }))).toBe('workload')
    expect(authKindOf(env({ auth: 'workload' }), 'cli')).toBe('cli')
    expect(errorOf(() => authKindOf(env(), 'kerberos')).exitCode).toBe(64)
  })

  it('knows the clouds, and honours an ARM override', () => {
    expect(armEndpointOf(env({ cloud: 'AzureUSGovernment' }))).toBe(CLOUDS.AzureUSGovernment.arm)
    expect(armEndpointOf(env({ cloud: 'AzureChinaCloud' }))).toBe('https://management.chinacloudapi.cn')
    expect(armEndpointOf(env({ endpoints: { arm: 'https://arm.local:8443/' } }))).toBe('https://arm.local:8443')
  })

  it('maps ARM failures to exit codes with useful messages', () => {
    expect(armError({ statusCode: 403 }, where)).toMatchObject({ exitCode: 77 })
    expect(armError({ statusCode: 403 }, where).hints[0]).toContain('Azure Kubernetes Service Cluster User Role')
    expect(armError({ statusCode: 401 }, where)).toMatchObject({ exitCode: 77 })
    expect(armError({ statusCode: 404, message: 'not found' }, where)).toMatchObject({ exitCode: 78 })
    expect(armError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, where)).toMatchObject({ exitCode: 69 })
    expect(armError(Object.assign(new Error('Please run az login'), { name: 'CredentialUnavailableError' }), where)).toMatchObject({ exitCode: 77 })
  })

  it('login exits with the most telling failure', () => {
    const check = (status: LoginCheck['status'], exitCode: number | null): LoginCheck => ({ check: 'cluster', region: null, target: '', status, detail: '', exitCode, hints: [], durationMs: 0 })
    expect(loginExitCode([check('ok', null), check('skipped', null)])).toBe(0)
    expect(loginExitCode([check('failed', 69), check('failed', 77)])).toBe(77)
    expect(loginExitCode([check('failed', 78), check('failed', 69)])).toBe(69)
  })
})

describe('Key Vault errors', () => {
  const vault = 'https://kv.vault.azure.net'
  it.each([
    [{ statusCode: 503, message: 'Service Unavailable' }, 69],
    [{ statusCode: 500, message: 'Internal' }, 69],
    [{ statusCode: 429, message: 'Too many requests' }, 69],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 69],
    [{ name: 'RestError', code: 'REQUEST_SEND_ERROR', message: 'other side closed' }, 69],
    [{ statusCode: 401, message: 'Unauthorized' }, 77],
    [{ statusCode: 403, code: 'Forbidden', message: 'no access policy' }, 77],
    [{ name: 'CredentialUnavailableError', message: 'az login' }, 77],
    [{ statusCode: 400, code: 'BadParameter', message: 'bad' }, 1],
  ])('%o exits %i, never 70', (error, exitCode) => {
    const mapped = keyVaultError(Object.assign(new Error(error.message), error), vault, 'read secret x')
    expect(mapped.exitCode).toBe(exitCode)
    expect(mapped.message).toContain(vault)
  })
})
