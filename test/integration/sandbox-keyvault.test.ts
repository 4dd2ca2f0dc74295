// The sandbox Key Vault driven by the REAL SecretClient (@azure/keyvault-secrets 4.11.2) over HTTPS:
// the challenge flow, versions, attributes, paging, soft delete / recover / purge, the 409 of a name
// in the deleted state, a wrong token, faults, stats, persistence, and that a secret value reaches
// no log line and no error body.
import { appendFileSync } from 'node:fs'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { request } from 'node:https'
import { join } from 'node:path'
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FaultRegistry } from '../../src/sandbox/faults.js'
import { KEYVAULT_FILE } from '../../src/sandbox/keyvault/index.js'
import { resetSandbox } from '../../src/sandbox/lifecycle.js'
import { advertisedEndpoints, makeTempDir, raw, sandboxSdkOptions, startTestSandbox, staticCredential, type TestSandbox } from './sandbox-helpers.js'

interface Exchange {
  method: string
  url: string
  authorized: boolean
  hasBody: boolean
  status: number
}

/** The options that make the unchanged SecretClient work against the sandbox (see the README). */
function sandboxClientOptions(caCert: string, exchanges?: Exchange[]): SecretClientOptions {
  const options: SecretClientOptions = {
    // The challenge names resource https://vault.azure.net; 127.0.0.1 is not a *.vault.azure.net host.
    disableChallengeResourceVerification: true,
    ...sandboxSdkOptions(caCert),
  }
  if (exchanges !== undefined) {
    options.additionalPolicies = [
      {
        position: 'perRetry',
        policy: {
          name: 'record-exchanges',
          async sendRequest(req, next) {
            const response = await next(req)
            exchanges.push({ method: req.method, url: req.url, authorized: req.headers.has('authorization'), hasBody: req.body !== undefined && req.body !== null, status: response.status })
            return response
          },
        },
      },
    ]
  }
  return options
}

interface KvResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw HTTPS request to the Key Vault listener. */
function kvRaw(url: string, caCert: string, method: string, path: string, options: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<KvResponse> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, ca: caCert }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })
}

/** The error a client call fails with. */
async function failure(call: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string; details?: { error?: { code?: string; message?: string; innerError?: { code?: string } } } }> {
  try {
    await call
  } catch (error) {
    return error as Awaited<ReturnType<typeof failure>>
  }
  throw new Error('the call should have failed')
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

let sb: TestSandbox
let dir: string
let vaultUrl: string
let client: SecretClient
const logLines: string[] = []

beforeAll(async () => {
  dir = await makeTempDir('mkt-sandbox-kv-')
  // Like the detached process, whose stdout the CLI sends to sandbox.log.
  sb = await startTestSandbox(
    {
      log: (message) => {
        logLines.push(message)
        appendFileSync(join(dir, 'sandbox.log'), `${message}\n`)
      },
    },
    dir,
  )
  vaultUrl = (await advertisedEndpoints(dir)).keyVault!
  client = new SecretClient(vaultUrl, staticCredential(sb.handle.token), sandboxClientOptions(sb.caCert))
})

afterAll(async () => {
  await sb?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('sandbox Key Vault: wiring and authentication', () => {
  it('advertises https://127.0.0.1:<port> in state.json, apart from the Kubernetes API', async () => {
    expect(vaultUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(vaultUrl).not.toBe(sb.handle.endpoints.kubernetes)
  })

  it('answers a request without Authorization with the challenge, before reading its body', async () => {
    // Headers promise a body that never comes: the 401 arrives anyway.
    const answer = await new Promise<{ status: number; challenge: string | undefined; body: string }>((resolve, reject) => {
      const req = request(`${vaultUrl}/secrets/x?api-version=7.6`, { method: 'PUT', ca: sb.caCert, headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') })
          req.destroy()
        })
      })
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(answer.status).toBe(401)
    expect(answer.challenge).toBe('Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"')
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } })
  })

  it('the SDK completes the challenge round-trip: 401 without a token and body, then the request with both', async () => {
    const exchanges: Exchange[] = []
    const credential = staticCredential(sb.handle.token)
    const fresh = new SecretClient(vaultUrl, credential, sandboxClientOptions(sb.caCert, exchanges))
    const secret = await fresh.setSecret('challenge-check', 'value-1')
    expect(secret.value).toBe('value-1')
    expect(exchanges.map((e) => [e.method, e.authorized, e.hasBody, e.status])).toEqual([
      ['PUT', false, false, 401],
      ['PUT', true, true, 200],
    ])
    expect(credential.calls).toEqual([{ scopes: ['https://vault.azure.net/.default'], tenantId: '00000000-0000-0000-0000-000000000000' }])
    // Later requests of the same client carry the token straight away.
    await fresh.getSecret('challenge-check')
    expect(exchanges.slice(2).map((e) => [e.method, e.authorized, e.status])).toEqual([['GET', true, 200]])
    // The trailing slash (no version) and the percent-encoded query key are what 4.11.2 sends.
    expect(exchanges[2]!.url).toMatch(/\/secrets\/challenge-check\/\?api%2Dversion=2025-07-01$/)
  })

  it('a wrong token is 401 for the SDK', async () => {
    const wrong = new SecretClient(vaultUrl, staticCredential('not-the-sandbox-token'), sandboxClientOptions(sb.caCert))
    const error = await failure(wrong.getSecret('challenge-check'))
    expect(error.statusCode).toBe(401)
    expect(error.code).toBe('Unauthorized')
  })

  it('works without disableChallengeResourceVerification only if the host were *.vault.azure.net', async () => {
    const strict = new SecretClient(vaultUrl, staticCredential(sb.handle.token), sandboxSdkOptions(sb.caCert))
    const error = await failure(strict.getSecret('challenge-check'))
    expect(error.message).toMatch(/does not match the requested domain/)
  })

  it('https://localhost:<port> works too, and ids echo the host the client used', async () => {
    const port = new URL(vaultUrl).port
    const local = new SecretClient(`https://localhost:${port}`, staticCredential(sb.handle.token), sandboxClientOptions(sb.caCert))
    const secret = await local.getSecret('challenge-check')
    expect(secret.properties.id).toMatch(new RegExp(`^https://localhost:${port}/secrets/challenge-check/[0-9a-f]{32}$`))
    expect(secret.properties.vaultUrl).toBe(`https://localhost:${port}`)
  })

  it('accepts any api-version (serviceVersion 7.5 here, a made-up one raw), and requires one', async () => {
    const old = new SecretClient(vaultUrl, staticCredential(sb.handle.token), { ...sandboxClientOptions(sb.caCert), serviceVersion: '7.5' })
    expect((await old.getSecret('challenge-check')).value).toBe('value-1')
    expect((await kvRaw(vaultUrl, sb.caCert, 'GET', '/secrets?api-version=2099-12-31', { token: sb.handle.token })).status).toBe(200)
    const missing = await kvRaw(vaultUrl, sb.caCert, 'GET', '/secrets', { token: sb.handle.token })
    expect(missing.status).toBe(400)
    expect(JSON.parse(missing.body).error.code).toBe('BadParameter')
  })
})

describe('sandbox Key Vault: secrets', () => {
  it('set, get (latest and by version), versions, update properties', async () => {
    const name = 'catalog--ConnectionStrings--Database'
    const first = await client.setSecret(name, 'Host=db;Password=one', { contentType: 'text/plain', tags: { component: 'catalog' } })
    expect(first.name).toBe(name)
    expect(first.value).toBe('Host=db;Password=one')
    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/)
    expect(first.properties.id).toBe(`${vaultUrl}/secrets/${name}/${first.properties.version}`)
    expect(first.properties).toMatchObject({ enabled: true, contentType: 'text/plain', tags: { component: 'catalog' }, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90, vaultUrl })
    expect(first.properties.createdOn).toBeInstanceOf(Date)
    expect(Math.abs(first.properties.createdOn!.getTime() - sb.handle.clock.now())).toBeLessThan(5000)
    expect(first.properties.updatedOn!.getTime()).toBe(first.properties.createdOn!.getTime())

    const expiresOn = new Date('2030-01-01T00:00:00Z')
    const second = await client.setSecret(name, 'Host=db;Password=two', { expiresOn })
    expect(second.properties.version).not.toBe(first.properties.version)
    expect(second.properties.expiresOn).toEqual(expiresOn)

    expect((await client.getSecret(name)).value).toBe('Host=db;Password=two')
    expect((await client.getSecret(name.toLowerCase())).value).toBe('Host=db;Password=two') // names are case-insensitive
    const old = await client.getSecret(name, { version: first.properties.version! })
    expect(old.value).toBe('Host=db;Password=one')
    expect(old.properties.tags).toEqual({ component: 'catalog' })

    const versions = await collect(client.listPropertiesOfSecretVersions(name))
    expect(versions.map((v) => v.version)).toEqual([first.properties.version, second.properties.version])
    expect(versions.every((v) => (v as { value?: string }).value === undefined)).toBe(true)

    const updated = await client.updateSecretProperties(name, first.properties.version!, { enabled: false, tags: { component: 'catalog', retired: 'yes' } })
    expect(updated).toMatchObject({ enabled: false, tags: { component: 'catalog', retired: 'yes' }, contentType: 'text/plain', version: first.properties.version })
    expect((updated as { value?: string }).value).toBeUndefined()
    const disabled = await failure(client.getSecret(name, { version: first.properties.version! }))
    expect(disabled.statusCode).toBe(403)
    expect(disabled.details?.error?.innerError?.code).toBe('SecretDisabled')
    expect((await client.getSecret(name)).value).toBe('Host=db;Password=two')
  })

  it('a missing secret or version is 404 SecretNotFound with Key Vault error JSON', async () => {
    const missing = await failure(client.getSecret('does-not-exist'))
    expect(missing.statusCode).toBe(404)
    expect(missing.code).toBe('SecretNotFound')
    expect(missing.details?.error?.message).toMatch(/does-not-exist was not found/)
    const version = await failure(client.getSecret('challenge-check', { version: '0'.repeat(32) }))
    expect(version.code).toBe('SecretNotFound')
    const badName = await failure(client.setSecret('bad_name', 'x'))
    expect(badName.statusCode).toBe(400)
    expect(badName.code).toBe('BadParameter')
  })

  it('lists secrets without values, paging with absolute nextLinks (25 a page by default, or maxresults)', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `page-${String(i).padStart(2, '0')}`)
    for (const name of names) await client.setSecret(name, `value-of-${name}`, { tags: { i: name } })

    const all = await collect(client.listPropertiesOfSecrets())
    expect(all.map((p) => p.name).filter((n) => n.startsWith('page-'))).toEqual(names)
    expect(all.every((p) => (p as { value?: string }).value === undefined && p.version === undefined)).toBe(true)
    expect(all.find((p) => p.name === 'page-03')?.tags).toEqual({ i: 'page-03' })

    const defaultPages = await collect(client.listPropertiesOfSecrets().byPage())
    expect(defaultPages[0]).toHaveLength(25)
    expect(defaultPages.flat()).toHaveLength(all.length)

    const pages = await collect(client.listPropertiesOfSecrets().byPage({ maxPageSize: 7 }))
    expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true)
    expect(pages.flat().map((p) => p.name)).toEqual(all.map((p) => p.name))

    const first = JSON.parse((await kvRaw(vaultUrl, sb.caCert, 'GET', '/secrets?api-version=7.6&maxresults=2', { token: sb.handle.token })).body) as { value: unknown[]; nextLink: string }
    expect(first.value).toHaveLength(2)
    expect(first.nextLink).toMatch(new RegExp(`^${vaultUrl}/secrets\\?api-version=7\\.6&\\$skiptoken=[A-Za-z0-9_-]+&maxresults=2$`))
    const last = JSON.parse((await kvRaw(vaultUrl, sb.caCert, 'GET', '/secrets/page-00/versions?api-version=7.6', { token: sb.handle.token })).body) as { value: unknown[]; nextLink: unknown }
    expect(last).toEqual({ value: [expect.objectContaining({ id: expect.stringMatching(/\/secrets\/page-00\/[0-9a-f]{32}$/) })], nextLink: null })
    const bad = await kvRaw(vaultUrl, sb.caCert, 'GET', '/secrets?api-version=7.6&maxresults=26', { token: sb.handle.token })
    expect(bad.status).toBe(400)
  })

  it('delete (poller) → get deleted → list deleted → recover (poller) → get', async () => {
    const name = 'search--ApiKey'
    const set = await client.setSecret(name, 'key-one')
    const poller = await client.beginDeleteSecret(name, { intervalInMs: 10 })
    const deleted = await poller.pollUntilDone()
    expect(deleted.name).toBe(name)
    expect(deleted.recoveryId).toBe(`${vaultUrl}/deletedsecrets/${name}`)
    expect(deleted.deletedOn).toBeInstanceOf(Date)
    expect(deleted.scheduledPurgeDate!.getTime() - deleted.deletedOn!.getTime()).toBe(90 * 24 * 3600 * 1000)
    expect(deleted.value).toBeUndefined()

    expect((await failure(client.getSecret(name))).statusCode).toBe(404)
    const fetched = await client.getDeletedSecret(name)
    expect(fetched.properties.version).toBe(set.properties.version)
    expect(fetched.value).toBeUndefined()
    const listed = await collect(client.listDeletedSecrets())
    expect(listed.map((s) => s.name)).toContain(name)
    expect(listed.find((s) => s.name === name)?.recoveryId).toBe(`${vaultUrl}/deletedsecrets/${name}`)

    const recovery = await client.beginRecoverDeletedSecret(name, { intervalInMs: 10 })
    const recovered = await recovery.pollUntilDone()
    expect(recovered.version).toBe(set.properties.version)
    expect((await client.getSecret(name)).value).toBe('key-one')
    expect((await failure(client.getDeletedSecret(name))).statusCode).toBe(404)
  })

  it('setting a soft-deleted name is 409 ObjectIsDeletedButRecoverable; purge (204) frees it', async () => {
    const name = 'pricing--Token'
    await client.setSecret(name, 'first')
    await (await client.beginDeleteSecret(name, { intervalInMs: 10 })).pollUntilDone()

    const conflict = await failure(client.setSecret(name, 'second'))
    expect(conflict.statusCode).toBe(409)
    expect(conflict.code).toBe('Conflict')
    expect(conflict.details?.error?.innerError?.code).toBe('ObjectIsDeletedButRecoverable')
    expect(conflict.message).toMatch(/deleted but recoverable state/)

    await client.purgeDeletedSecret(name)
    const purgeAgain = await kvRaw(vaultUrl, sb.caCert, 'DELETE', `/deletedsecrets/${name}?api-version=7.6`, { token: sb.handle.token })
    expect(purgeAgain.status).toBe(404)
    expect((await failure(client.getDeletedSecret(name))).code).toBe('SecretNotFound')
    const again = await client.setSecret(name, 'second')
    expect(again.value).toBe('second')
    expect(await collect(client.listPropertiesOfSecretVersions(name))).toHaveLength(1)
  })

  it('a purge answers 204 with no body', async () => {
    await client.setSecret('purge-raw', 'x')
    await (await client.beginDeleteSecret('purge-raw', { intervalInMs: 10 })).pollUntilDone()
    const purge = await kvRaw(vaultUrl, sb.caCert, 'DELETE', '/deletedsecrets/purge-raw?api-version=7.6', { token: sb.handle.token })
    expect(purge.status).toBe(204)
    expect(purge.body).toBe('')
  })

  it('deleted secrets are purged at their scheduled purge date (sandbox clock)', async () => {
    await client.setSecret('short-lived', 'x')
    await (await client.beginDeleteSecret('short-lived', { intervalInMs: 10 })).pollUntilDone()
    await raw(sb, 'POST', '/_sandbox/clock/advance?seconds=7776001') // 90 days and a second
    expect((await failure(client.getDeletedSecret('short-lived'))).statusCode).toBe(404)
    expect((await client.setSecret('short-lived', 'y')).value).toBe('y')
  })

  it('backup and restore', async () => {
    await client.setSecret('backup-me', 'one')
    await client.setSecret('backup-me', 'two')
    const blob = await client.backupSecret('backup-me')
    expect(blob).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(blob!).toString('latin1')).not.toContain('two') // opaque, like the real service's
    await (await client.beginDeleteSecret('backup-me', { intervalInMs: 10 })).pollUntilDone()
    await client.purgeDeletedSecret('backup-me')
    const restored = await client.restoreSecretBackup(blob!)
    expect(restored.name).toBe('backup-me')
    expect((await client.getSecret('backup-me')).value).toBe('two')
    expect(await collect(client.listPropertiesOfSecretVersions('backup-me'))).toHaveLength(2)
    expect((await failure(client.restoreSecretBackup(blob!))).statusCode).toBe(409)
  })
})

describe('sandbox Key Vault: control route, faults, secrecy', () => {
  it('GET /_sandbox/keyvault/stats counts writes and versions; reads change nothing', async () => {
    const stats = async () => (await raw(sb, 'GET', '/_sandbox/keyvault/stats')).json() as { writes: number; versionsCreated: number }
    const before = await stats()
    await client.getSecret('challenge-check')
    await collect(client.listPropertiesOfSecrets())
    expect(await stats()).toEqual(before)
    await client.setSecret('stats-check', 'v')
    expect(await stats()).toEqual({ writes: before.writes + 1, versionsCreated: before.versionsCreated + 1 })
    const current = await client.getSecret('stats-check')
    await client.updateSecretProperties('stats-check', current.properties.version!, { tags: { a: 'b' } })
    expect(await stats()).toEqual({ writes: before.writes + 2, versionsCreated: before.versionsCreated + 1 })
    expect((await raw(sb, 'GET', '/_sandbox/keyvault/stats', { token: 'wrong' })).status).toBe(401)
  })

  it('the API fault hook applies to Key Vault paths', async () => {
    sb.handle.api.setApiFaultHook(FaultRegistry.inMemory([{ pathPattern: '/secrets/**', status: 503, retryAfterSeconds: 1 }]))
    try {
      const error = await failure(client.getSecret('challenge-check'))
      expect(error.statusCode).toBe(503)
      expect(error.code).toBe('ServiceUnavailable')
      expect(Array.isArray(await collect(client.listDeletedSecrets()))).toBe(true) // /deletedsecrets does not match
    } finally {
      sb.handle.api.setApiFaultHook(undefined)
    }
    expect((await client.getSecret('challenge-check')).value).toBe('value-1')
  })

  it('a canary value reaches no log line and no error body', async () => {
    const canary = `canary-${Math.random().toString(36).slice(2)}-value`
    const name = 'canary--Secret'
    const bodies: string[] = []
    await client.setSecret(name, canary, { contentType: 'text/plain' })
    expect((await client.getSecret(name)).value).toBe(canary)

    // Bodies the sandbox rejects: invalid JSON (a parser message would quote it), bad attributes, too big.
    const token = sb.handle.token
    for (const body of [`{"value":"${canary}"`, JSON.stringify({ value: canary, tags: { a: 1 } }), JSON.stringify({ value: canary, attributes: { enabled: canary } }), JSON.stringify({ value: canary.repeat(2000) })]) {
      const answer = await kvRaw(vaultUrl, sb.caCert, 'PUT', `/secrets/${name}?api-version=7.6`, { token, body })
      expect(answer.status).toBe(400)
      bodies.push(answer.body)
    }
    bodies.push((await kvRaw(vaultUrl, sb.caCert, 'PUT', `/secrets/${name}?api-version=7.6`, { body: JSON.stringify({ value: canary }) })).body) // no token
    await (await client.beginDeleteSecret(name, { intervalInMs: 10 })).pollUntilDone()
    const conflict = await failure(client.setSecret(name, canary))
    bodies.push(conflict.message, JSON.stringify(conflict.details))
    await client.beginRecoverDeletedSecret(name, { intervalInMs: 10 }).then((p) => p.pollUntilDone())

    for (const body of bodies) expect(body).not.toContain(canary)
    expect(logLines.join('\n')).not.toContain(canary)
    expect(logLines.some((line) => line.includes(`PUT /secrets/${name} -> 400`))).toBe(true) // the log does see these requests
    // Every file in the data dir but the vault's own store.
    const files = (await readdir(dir)).filter((file) => !file.startsWith(KEYVAULT_FILE))
    expect(files).toContain('sandbox.log')
    for (const file of files) expect(await readFile(join(dir, file), 'utf8'), file).not.toContain(canary)
    expect(await readFile(join(dir, KEYVAULT_FILE), 'utf8')).toContain(canary) // it is stored, owner-only
    expect((await stat(join(dir, KEYVAULT_FILE))).mode & 0o777).toBe(0o600)
  })
})

describe('sandbox Key Vault: persistence', () => {
  it('secrets, versions and deleted state survive a stop and start (same port when free); reset wipes them', async () => {
    const dataDir = await makeTempDir('mkt-sandbox-kv-persist-')
    try {
      let sandbox = await startTestSandbox({}, dataDir)
      const url = (await advertisedEndpoints(dataDir)).keyVault!
      let kv = new SecretClient(url, staticCredential(sandbox.handle.token), sandboxClientOptions(sandbox.caCert))
      const first = await kv.setSecret('keep', 'one', { tags: { a: 'b' } })
      await kv.setSecret('keep', 'two')
      await kv.setSecret('gone', 'x')
      await (await kv.beginDeleteSecret('gone', { intervalInMs: 10 })).pollUntilDone()
      await sandbox.stop()

      sandbox = await startTestSandbox({}, dataDir)
      const again = (await advertisedEndpoints(dataDir)).keyVault!
      expect(again).toBe(url)
      kv = new SecretClient(again, staticCredential(sandbox.handle.token), sandboxClientOptions(sandbox.caCert))
      expect((await kv.getSecret('keep')).value).toBe('two')
      expect((await kv.getSecret('keep', { version: first.properties.version! })).properties.tags).toEqual({ a: 'b' })
      expect((await kv.getDeletedSecret('gone')).name).toBe('gone')
      expect((await failure(kv.setSecret('gone', 'y'))).statusCode).toBe(409)
      await sandbox.stop()

      // mkt sandbox reset forgets the secrets; the endpoint (port) stays, like the kubeconfig's.
      await resetSandbox(dataDir)
      await expect(stat(join(dataDir, KEYVAULT_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
      sandbox = await startTestSandbox({}, dataDir)
      expect((await advertisedEndpoints(dataDir)).keyVault).toBe(url)
      kv = new SecretClient(url, staticCredential(sandbox.handle.token), sandboxClientOptions(sandbox.caCert))
      expect(await collect(kv.listPropertiesOfSecrets())).toEqual([])
      expect(await collect(kv.listDeletedSecrets())).toEqual([])
      await sandbox.stop()
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
