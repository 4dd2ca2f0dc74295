// The literal-secret check over real-world forms: each line of the table, written into a component's config
// file, is refused with exit 65 naming the file, the line and the key, and the message never quotes the value.
// Forms that are configuration, not credentials, pass.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readEnvironmentConfig } from '../../src/config/files.js'
import { parsePlatform } from '../../src/platform/parse.js'
import { errorOf, rejectionOf } from '../helpers/errors.js'

const platform = parsePlatform(readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8'), 'mkt.yaml')
const catalog = platform.components.filter((c) => c.name === 'marketplace-catalog-service')
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJtYXJrZXQiLCJpYXQiOjE3MDAwMDAwMDB9.Qm9ndXMtc2lnbmF0dXJlLWZvci10ZXN0cw'

/** [what, YAML under `App:` (line 3 of the file onwards), the key the error must name]. */
const SECRET_FORMS: Array<[string, string, string]> = [
  ['postgresql URL password', 'Db: postgresql://admin:Pw-d9f3kq7@db.example.com:5432/app', 'App.Db'],
  ['redis URL password, no user', 'Cache: "redis://:Pw-d9f3kq7@cache.example.com:6380"', 'App.Cache'],
  ['amqps URL password', 'Bus: amqps://svc:Pw-d9f3kq7@mq.example.com/vhost', 'App.Bus'],
  ['https basic-auth URL', 'Feed: https://reader:Pw-d9f3kq7@feeds.example.com/v1', 'App.Feed'],
  ['JWT under Auth: Bearer', `Auth: Bearer ${JWT}`, 'App.Auth'],
  ['bare JWT', `Session: ${JWT}`, 'App.Session'],
  ['Basic auth header', 'Header: Basic YWRtaW46UHctZDlmM2txNw==', 'App.Header'],
  ['Passphrase key', 'Passphrase: correct horse battery', 'App.Passphrase'],
  ['SigningKey key', 'SigningKey: 8d2f0c1e9b7a', 'App.SigningKey'],
  ['Credentials key', 'Credentials: svc:Pw-d9f3kq7', 'App.Credentials'],
  ['Pass key', 'Pass: Pw-d9f3kq7', 'App.Pass'],
  ['AWS access key id', 'Storage: AKIAZ3MSJV4WDLE7KJ2P', 'App.Storage'],
  ['AWS secret access key', 'Aws: "aws_secret_access_key = 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"', 'App.Aws'],
  ['"Password: x" in a value', 'Options: "Server=db; Password: x"', 'App.Options'],
  ['Password%3Dx (URL-encoded)', 'Query: Server%3Ddb%3BPassword%3Dx', 'App.Query'],
  ['a list under Tokens:', 'Tokens:\n    - first-token-value\n    - second-token-value', 'App.Tokens'],
  ['Npgsql Password=', 'Conn: Host=db;Username=app;Password=Pw-d9f3kq7', 'App.Conn'],
  ['SQL Server Pwd=', 'Conn: Server=db;Uid=app;Pwd=Pw-d9f3kq7', 'App.Conn'],
  ['storage account key', 'Blob: DefaultEndpointsProtocol=https;AccountName=x;AccountKey=bm90LWEta2V5', 'App.Blob'],
  ['Service Bus SAS key', 'Sb: Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey=bm90LWEta2V5', 'App.Sb'],
  ['SAS signature', 'Url: https://x.blob.core.windows.net/c?sv=2022&sig=abcDEF%2B123', 'App.Url'],
  ['GitHub token', 'Ci: ghp_1234567890abcdefghijklmnopqrstuvwxyz', 'App.Ci'],
  ['Slack token', 'Chat: xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx', 'App.Chat'],
  ['PEM private key', 'Pem: "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----"', 'App.Pem'],
  ['ApiKey key', 'ApiKey: sk_live_123', 'App.ApiKey'],
]

const ACCEPTED_FORMS: Array<[string, string]> = [
  ['a URL without credentials', 'Db: postgresql://db.example.com:5432/app'],
  ['a URL with a user only', 'Feed: https://reader@feeds.example.com/v1'],
  ['a Key Vault reference', 'Conn: { secret: catalog--ConnectionStrings--Database }'],
  ['plain settings', 'PageSize: 50\n  Mode: Basic\n  Header: Authorization'],
  ['a log level', 'TokenLifetime: ""'],
]

function projectWith(body: string): string {
  const root = mkdtempSync(join(tmpdir(), 'mkt-secret-forms-'))
  mkdirSync(join(root, 'dev'))
  writeFileSync(join(root, 'dev', 'marketplace-catalog-service.yaml'), `# catalog\nApp:\n  ${body}\n`)
  return root
}

describe('the literal-secret check', () => {
  it.each(SECRET_FORMS)('refuses %s with 65, naming file, line and key', async (_what, body, key) => {
    const error = await rejectionOf(() => readEnvironmentConfig(projectWith(body), 'dev', platform, catalog))
    expect(error.exitCode).toBe(65)
    expect(error.message).toMatch(new RegExp(`dev/marketplace-catalog-service\\.yaml:(3|4):\\d+: ${key.replace('.', '\\.')}(\\.\\d+)?: looks like a secret`))
    expect(error.message).not.toMatch(/Pw-d9f3kq7|AKIAZ3MSJV4WDLE7KJ2P|eyJhbGci|YWRtaW46|ghp_|xoxb-/)
  })

  it.each(ACCEPTED_FORMS)('accepts %s', async (_what, body) => {
    const [config] = await readEnvironmentConfig(projectWith(body), 'dev', platform, catalog)
    expect(config!.entries.length).toBeGreaterThan(0)
  })
})

describe('prototype keys', () => {
  it.each([
    ['constructor', 'constructor:\n    prototype:\n      polluted: yes', 'App.constructor'],
    ['__proto__', '__proto__:\n    polluted: yes', 'App.__proto__'],
    ['prototype', 'Prototype: 1', 'App.Prototype'],
  ])('refuses a %s key with 65 and pollutes nothing', async (_what, body, key) => {
    const error = await rejectionOf(() => readEnvironmentConfig(projectWith(body), 'dev', platform, catalog))
    expect(error.exitCode).toBe(65)
    expect(error.message).toContain(`dev/marketplace-catalog-service.yaml:3:3: ${key}: "${key.split('.')[1]}" cannot be a key`)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses them in mkt.yaml too', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8').replace(/^platform:\n/m, 'platform:\n  __proto__: { x: 1 }\n')
    expect(text).toContain('__proto__')
    const error = errorOf(() => parsePlatform(text, 'mkt.yaml'))
    expect(error.exitCode).toBe(65)
    expect(error.message).toMatch(/mkt\.yaml:\d+:\d+: platform\.__proto__: "__proto__" cannot be a key/)
  })
})
