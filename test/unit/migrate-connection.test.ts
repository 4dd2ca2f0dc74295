// Database connections: both connection-string formats, where they come from, redaction, and error mapping.
import { afterEach, describe, expect, it } from 'vitest'
import { connectionStringOf, databaseSource, describeTarget, parseConnectionString, parseKeywordString, sslFor, targetOf } from '../../src/migrate/connection.js'
import { connectError, describePgError, networkCodeOf } from '../../src/migrate/pg-errors.js'
import type { Environment } from '../../src/platform/schema.js'
import { redactor } from '../../src/redact.js'
import { errorOf } from '../helpers/errors.js'

const env = (database?: Environment['database'], name = 'staging'): Environment =>
  ({ name, protected: false, cloud: 'AzureCloud', regions: [{ name: 'weu', primary: true, sandbox: true, namespace: 'marketplace' }], ...(database ? { database } : {}) }) as Environment

afterEach(() => redactor.clear())

describe('connection strings', () => {
  it('reads a PostgreSQL URL, decoding the user and password', () => {
    const config = parseConnectionString('postgresql://mkt%40corp:p%40ss%3Aw0rd@db.example.com:6432/marketplace?sslmode=require')
    expect(config).toEqual({ host: 'db.example.com', port: 6432, database: 'marketplace', user: 'mkt@corp', password: 'p@ss:w0rd', ssl: { rejectUnauthorized: false } })
    expect(parseConnectionString('postgres://127.0.0.1/test')).toEqual({ host: '127.0.0.1', port: 5432, database: 'test', ssl: false })
  })

  it('reads the Npgsql keyword format the .NET services use', () => {
    const config = parseConnectionString('Host=pg.postgres.database.azure.com;Port=5432;Database=marketplace;Username=app;Password="a;b""c";SSL Mode=VerifyFull')
    expect(config).toEqual({ host: 'pg.postgres.database.azure.com', port: 5432, database: 'marketplace', user: 'app', password: 'a;b"c', ssl: { rejectUnauthorized: true } })
    expect(parseKeywordString(' server = x ; User ID=u;PWD=p; ')).toEqual(new Map([['server', 'x'], ['user id', 'u'], ['pwd', 'p']]))
    expect(parseConnectionString('Server=x;User Id=u;Password=pw12;SslMode=Require;Trust Server Certificate=true')).toMatchObject({ host: 'x', user: 'u', ssl: { rejectUnauthorized: false } })
  })

  it('registers the password with the redactor as it is read, before any error can print it', () => {
    parseConnectionString('postgresql://app:Canary-9f2c@db:5432/x')
    expect(redactor.redact('oops Canary-9f2c')).toBe('oops ***')
    redactor.clear()
    const error = errorOf(() => parseConnectionString('postgresql://app:Canary-7e1d@db:5432/x?sslmode=bogus'))
    expect(error.exitCode).toBe(64)
    expect(redactor.redact('Canary-7e1d')).toBe('***')
  })

  it('never echoes the string in its errors', () => {
    const error = errorOf(() => parseConnectionString('Port=5432;Password=Canary-1234'))
    expect(error.message).not.toContain('Canary')
    expect(error.message).toContain('no Host')
  })

  it('leaks no password of an Npgsql string missing a ";", and prints no host that was not parsed cleanly', () => {
    const variants = [
      'Host=db.invalid Password=S3cret-Canary;Port=5432;Database=app;Username=app',
      'Host=db.invalid;Port=5432 Password=S3cret-Canary;Database=app',
      'Host=db.invalid;Username=app Password=S3cret-Canary;Database=app',
      'Host=db.invalid;Database=app Pwd=S3cret-Canary',
      'Host=db.invalid;Password=S3cret-Canary Port=5432;Database=app',
      'Host=db.invalid;Password="S3cret-Canary;x" Port=5432',
      'Host=db.invalid  password = S3cret-Canary',
      'Server=db.invalid,Password=S3cret-Canary',
    ]
    for (const variant of variants) {
      redactor.clear()
      let message: string
      try {
        const config = parseConnectionString(variant)
        message = describeTarget(targetOf(config))
      } catch (error) {
        message = (error as Error).message + (error as { hints?: string[] }).hints?.join(' ')
      }
      expect(redactor.redact(message), variant).not.toContain('S3cret')
      expect(redactor.redact(`at ${variant}`), variant).not.toContain('S3cret-Canary')
      expect(message, variant).not.toContain('S3cret')
    }
    expect(errorOf(() => parseConnectionString('Host=db.invalid Password=S3cret;Port=5432')).exitCode).toBe(64)
  })

  it('follows libpq sslmode', () => {
    expect(sslFor(undefined)).toBe(false)
    expect(sslFor('prefer')).toBe(false)
    expect(sslFor('require')).toEqual({ rejectUnauthorized: false })
    expect(sslFor('verify-full')).toEqual({ rejectUnauthorized: true })
    expect(errorOf(() => sslFor('always')).exitCode).toBe(64)
  })

  it('describes a target without the password', () => {
    expect(targetOf(parseConnectionString('postgresql://u:secretpw@h:1/d'))).toEqual({ host: 'h', port: 1, database: 'd', user: 'u' })
  })
})

describe('where the connection string comes from', () => {
  it('MKT_DATABASE_URL overrides mkt.yaml', () => {
    expect(databaseSource(env({ engine: 'postgresql', url: { secret: 's' } }), { MKT_DATABASE_URL: 'postgresql://x/y' })).toEqual({ kind: 'override', value: 'postgresql://x/y' })
  })

  it('reads { env: NAME }, failing with 78 when it is not set', () => {
    const environment = env({ engine: 'postgresql', url: { env: 'DATABASE_URL' } })
    const source = databaseSource(environment, {})
    expect(source).toEqual({ kind: 'env', name: 'DATABASE_URL' })
    expect(connectionStringOf(environment, source as { kind: 'env'; name: string }, { DATABASE_URL: 'postgresql://x/y' })).toEqual({ text: 'postgresql://x/y', source: 'environment variable DATABASE_URL' })
    const error = errorOf(() => connectionStringOf(environment, source as { kind: 'env'; name: string }, {}))
    expect(error.exitCode).toBe(78)
    expect(error.message).toContain('DATABASE_URL')
  })

  it('a Key Vault reference is not an inline connection string: 78, pointing at MKT_DATABASE_URL (the SQL runner reads the vault)', () => {
    const environment = env({ engine: 'postgresql', url: { secret: 'marketplace--ConnectionStrings--Database' } })
    const error = errorOf(() => connectionStringOf(environment, { kind: 'secret', name: 'marketplace--ConnectionStrings--Database' }, {}))
    expect(error.exitCode).toBe(78)
    expect(error.message).toContain('keeps its database connection string in Key Vault secret marketplace--ConnectionStrings--Database')
    expect(error.hints.join(' ')).toContain('MKT_DATABASE_URL')
  })

  it('no database configured is 78; SQL Server is 64 with the Job runner as the way', () => {
    expect(errorOf(() => databaseSource(env(), {})).exitCode).toBe(78)
    const sqlServer = errorOf(() => databaseSource(env({ engine: 'sqlserver', url: { env: 'X' } }), {}))
    expect(sqlServer.exitCode).toBe(64)
    expect(sqlServer.hints.join(' ')).toContain('--image')
    expect(databaseSource(env({ engine: 'postgresql', url: { sandbox: true } }), {})).toEqual({ kind: 'sandbox' })
  })
})

describe('database errors', () => {
  const target = { host: 'db.internal', port: 5432, database: 'marketplace', user: 'app' }

  it('unreachable is 69 naming host and port', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.4:5432'), { code: 'ECONNREFUSED' })
    const error = connectError(refused, target, 'MKT_DATABASE_URL')
    expect(error.exitCode).toBe(69)
    expect(error.message).toBe('cannot reach the database at db.internal:5432 (marketplace): ECONNREFUSED')
    // Node's dual-stack connect wraps the real errors in an AggregateError.
    expect(networkCodeOf(new AggregateError([Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })]))).toBe('EHOSTUNREACH')
    expect(connectError(new Error('timeout expired'), target, 'x').exitCode).toBe(69)
  })

  it('bad credentials are 77, a missing database 78', () => {
    expect(connectError(Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }), target, 'x').exitCode).toBe(77)
    const missing = connectError(Object.assign(new Error('database "marketplace" does not exist'), { code: '3D000' }), target, 'x')
    expect(missing.exitCode).toBe(78)
    expect(missing.message).toContain('"marketplace" does not exist on db.internal:5432')
  })

  it('describes a failed statement with SQLSTATE, detail and hint', () => {
    expect(describePgError(Object.assign(new Error('relation "x" does not exist'), { code: '42P01', hint: 'create it first' }))).toBe('relation "x" does not exist (SQLSTATE 42P01) hint: create it first')
  })
})
