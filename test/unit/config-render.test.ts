import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { readEnvironmentConfig } from '../../src/config/files.js'
import { checksumOf, configMapData, diffData, flattenConfig, mergeConfig } from '../../src/config/render.js'
import { readSecretValues } from '../../src/config/secrets.js'
import { parsePlatform } from '../../src/platform/parse.js'
import { redactor } from '../../src/redact.js'
import { errorOf, rejectionOf } from '../helpers/errors.js'

const platform = parsePlatform(readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8'), 'mkt.yaml')

describe('rendering configuration', () => {
  it('flattens nested keys to Options variables, arrays by index, secrets as references', () => {
    const { entries, problems } = flattenConfig(
      { Logging: { LogLevel: { Default: 'Information' } }, Features: { Enabled: true, Hosts: ['a', 'b'] }, ConnectionStrings: { Database: { secret: 'catalog--db' } } },
      'component',
    )
    expect(problems).toEqual([])
    expect(entries.map((e) => [e.key, e.value ?? `secret:${e.secret}`])).toEqual([
      ['Logging__LogLevel__Default', 'Information'],
      ['Features__Enabled', 'true'],
      ['Features__Hosts__0', 'a'],
      ['Features__Hosts__1', 'b'],
      ['ConnectionStrings__Database', 'secret:catalog--db'],
    ])
    expect(configMapData(entries)).not.toHaveProperty('ConnectionStrings__Database')
  })

  it('refuses literal secrets, bad key names and malformed references', () => {
    const problems = (content: unknown) => flattenConfig(content, 'component').problems.map((p) => `${p.yamlPath.join('.')}: ${p.message}`)
    expect(problems({ Db: { Password: 'hunter2' } })[0]).toMatch(/^Db\.Password: looks like a secret given as a literal value/)
    expect(problems({ ConnectionStrings: { Main: 'Host=db;Password=x' } })[0]).toMatch(/looks like a secret/)
    expect(problems({ 'Bad Key': 1 })[0]).toMatch(/"Bad Key" is not a valid Options key/)
    expect(problems({ A: { secret: 'x', value: 'y' } })[0]).toMatch(/a secret reference takes only "secret"/)
    expect(problems({ A: { secret: 'no spaces allowed' } })[0]).toMatch(/A\.secret: a Key Vault secret name/)
  })

  it('the component file wins over _shared.yaml; diffs and checksums follow the data', async () => {
    const shared = flattenConfig({ Logging: { Level: 'Info' }, Page: 10 }, 'shared').entries
    const own = flattenConfig({ Page: 50 }, 'component').entries
    const merged = mergeConfig(shared, own)
    expect(configMapData(merged)).toEqual({ Logging__Level: 'Info', Page: '50' })
    expect(merged.find((e) => e.key === 'Page')!.source).toBe('component')
    expect(diffData({ a: '1', b: '2' }, { a: '1', b: '3', c: '4' })).toEqual({ added: [], changed: [{ key: 'b', from: '3', to: '2' }], removed: [{ key: 'c', value: '4' }] })
    expect(await checksumOf({ a: '1' }, { s: 'v1' })).not.toBe(await checksumOf({ a: '1' }, { s: 'v2' }))
    expect(await checksumOf({ a: '1', b: '2' }, {})).toBe(await checksumOf({ b: '2', a: '1' }, {}))
  })
})

describe('configuration files', () => {
  const root = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkt-config-'))
    mkdirSync(join(dir, 'dev'))
    return dir
  }

  it('the templates render for every component and satisfy the catalog schema', async () => {
    const configs = await readEnvironmentConfig(join(__dirname, '..', '..', 'templates', 'config'), 'prod', platform, platform.components)
    expect(configs).toHaveLength(16)
    expect(configs.every((c) => c.entries.some((e) => e.secret?.endsWith('--ConnectionStrings--Database')))).toBe(true)
  })

  it('errors exit 65 naming the file, line and key', async () => {
    const dir = root()
    writeFileSync(join(dir, 'dev', 'pricing-service.yaml'), 'Pricing:\n  Currency: EUR\n  ApiKey: sk_live_123\n')
    const literal = await rejectionOf(() => readEnvironmentConfig(dir, 'dev', platform, platform.components))
    expect(literal.exitCode).toBe(65)
    expect(literal.message).toMatch(/dev\/pricing-service\.yaml:3:11: Pricing\.ApiKey: looks like a secret/)

    const other = root()
    writeFileSync(join(other, 'dev', 'pricing.yaml'), 'A: 1\n')
    expect((await rejectionOf(() => readEnvironmentConfig(other, 'dev', platform, platform.components))).message).toMatch(/"pricing" is not a component/)
  })

  it('a component schema in config/schemas/ is enforced', async () => {
    const dir = root()
    mkdirSync(join(dir, 'schemas'))
    writeFileSync(join(dir, 'schemas', 'pricing-service.schema.json'), JSON.stringify({ type: 'object', properties: { Pricing: { type: 'object', properties: { PageSize: { type: 'integer', maximum: 100 } } } } }))
    writeFileSync(join(dir, 'dev', 'pricing-service.yaml'), 'Pricing:\n  PageSize: 500\n')
    const error = await rejectionOf(() => readEnvironmentConfig(dir, 'dev', platform, platform.components))
    expect(error.exitCode).toBe(65)
    expect(error.message).toMatch(/pricing-service\.yaml: Pricing:PageSize: must be <= 100 \(config\/schemas\/pricing-service\.schema\.json\)/)
  })
})

describe('secret values', () => {
  it('come from environment variables, files or stdin, and are registered with the redactor', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mkt-secret-')), 'value')
    writeFileSync(file, 'from-a-file-canary\n')
    process.env.MKT_TEST_SECRET = 'from-env-canary'
    const values = readSecretValues({ fromEnv: ['a--b=MKT_TEST_SECRET'], fromFile: [`c--d=${file}`], stdin: 'e--f' }, () => 'from-stdin-canary\n')
    expect([...values.entries()]).toEqual([
      ['a--b', 'from-env-canary'],
      ['c--d', 'from-a-file-canary'],
      ['e--f', 'from-stdin-canary'],
    ])
    expect(redactor.redact('x from-env-canary y from-stdin-canary')).toBe('x *** y ***')
    expect(errorOf(() => readSecretValues({ fromEnv: ['a--b=NOT_SET_ANYWHERE'], fromFile: [] }, () => '')).exitCode).toBe(78)
    expect(errorOf(() => readSecretValues({ fromEnv: ['novalue'], fromFile: [] }, () => '')).exitCode).toBe(64)
  })
})
