// The SQL runner's pure parts: file names, checksums, the plan (postgrator's semantics), drift.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checksum, lineOf, parseMigrationName, readSqlDir, sortMigrations, type MigrationFile } from '../../src/migrate/sql-files.js'
import { assertNoDrift, planSql, planWarnings, targetVersion, type AppliedRow } from '../../src/migrate/sql-plan.js'
import { errorOf } from '../helpers/errors.js'

const file = (version: number, name = `m${version}`, sql = `-- ${name}\n`): MigrationFile => ({
  version,
  name,
  file: `V${String(version).padStart(3, '0')}__${name}.sql`,
  path: `/m/V${version}__${name}.sql`,
  sql,
  md5: checksum(sql),
})
const row = (f: MigrationFile, md5 = f.md5): AppliedRow => ({ version: f.version, name: f.name, md5, runAt: '2026-01-01T00:00:00.000Z', runBy: 'alice@laptop' })

describe('migration file names', () => {
  it('reads V<version>__<description>.sql', () => {
    expect(parseMigrationName('V001__create_assets.sql')).toEqual({ version: 1, name: 'create_assets' })
    expect(parseMigrationName('V12__add_index_on_assets.sql')).toEqual({ version: 12, name: 'add_index_on_assets' })
  })

  it('ignores files that are not SQL and rejects misnamed SQL files with exit 65', () => {
    expect(parseMigrationName('README.md')).toBeUndefined()
    for (const name of ['V1_create.sql', 'create_assets.sql', '001.do.create.sql', 'V0__zero.sql']) {
      expect(errorOf(() => parseMigrationName(name)).exitCode, name).toBe(65)
    }
    expect(errorOf(() => parseMigrationName('R__views.sql')).message).toContain('repeatable')
  })

  it('rejects two files with one version', () => {
    const error = errorOf(() => sortMigrations([file(2, 'b'), file(1, 'a'), { ...file(1, 'c') }]))
    expect(error.exitCode).toBe(65)
    expect(error.message).toContain('V001__a.sql and V001__c.sql')
  })

  it('checksums ignore line endings and a byte-order mark', () => {
    expect(checksum('a\r\nb\r\n')).toBe(checksum('a\nb\n'))
    expect(checksum('\uFEFFa\n')).toBe(checksum('a\n'))
    expect(checksum('a\n')).not.toBe(checksum('a \n'))
    expect(checksum('')).toBe('d41d8cd98f00b204e9800998ecf8427e') // md5(""), what postgrator would store
  })

  it('turns a server position into a line of the file', () => {
    const sql = 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELEC oops;\n'
    expect(lineOf(sql, sql.indexOf('SELEC') + 1)).toBe(3)
    expect(lineOf(sql, 1)).toBe(1)
  })

  it('reads a directory sorted by version, and fails on an empty one (64)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkt-sql-'))
    writeFileSync(join(dir, 'V10__ten.sql'), 'select 10;')
    writeFileSync(join(dir, 'V2__two.sql'), 'select 2;')
    writeFileSync(join(dir, 'notes.txt'), 'not a migration')
    expect((await readSqlDir(dir)).map((f) => f.file)).toEqual(['V2__two.sql', 'V10__ten.sql'])
    const empty = mkdtempSync(join(tmpdir(), 'mkt-sql-'))
    await expect(readSqlDir(empty)).rejects.toMatchObject({ exitCode: 64 })
    await expect(readSqlDir(join(empty, 'missing'))).rejects.toMatchObject({ exitCode: 64 })
  })
})

describe('the plan', () => {
  const files = [file(1), file(2), file(3), file(4)]

  it('is everything on an empty database, and nothing once applied', () => {
    expect(planSql(files, []).pending.map((f) => f.version)).toEqual([1, 2, 3, 4])
    const done = planSql(files, files.map((f) => row(f)))
    expect(done.pending).toEqual([])
    expect(done.databaseVersion).toBe(4)
    expect(done.applied.map((a) => a.file)).toEqual(files.map((f) => f.file))
  })

  it('ignores postgrator’s version 0 row and stops at --to', () => {
    const plan = planSql(files, [{ version: 0, name: null, md5: null, runAt: null, runBy: null }, row(files[0]!)], 3)
    expect(plan.databaseVersion).toBe(1)
    expect(plan.targetVersion).toBe(3)
    expect(plan.pending.map((f) => f.version)).toEqual([2, 3])
    expect(plan.applied).toHaveLength(1)
  })

  it('--to must name a version that has a file', () => {
    expect(targetVersion(files, undefined)).toBe(4)
    const error = errorOf(() => targetVersion(files, 7))
    expect(error.exitCode).toBe(64)
    expect(error.hints.join(' ')).toContain('1, 2, 3, 4')
  })

  it('finds files changed after they were applied, and exit 65 names them', () => {
    const plan = planSql(files, [row(files[0]!), row(files[1]!, 'a'.repeat(32))])
    expect(plan.drifted).toEqual([{ version: 2, file: 'V002__m2.sql', recorded: 'a'.repeat(32), actual: files[1]!.md5 }])
    const error = errorOf(() => assertNoDrift(plan))
    expect(error.exitCode).toBe(65)
    expect(error.message).toContain('V002__m2.sql changed after it was applied')
    expect(() => assertNoDrift(planSql(files, [row(files[0]!)]))).not.toThrow()
  })

  it('a history row without a checksum is not drift (postgrator skips it too)', () => {
    expect(planSql(files, [{ ...row(files[0]!), md5: null }]).drifted).toEqual([])
  })

  it('warns about files below the database version, history without files, and a target in the past', () => {
    const plan = planSql([file(1), file(2), file(3)], [row(file(1)), row(file(3)), row(file(5))], 1)
    expect(plan.outOfOrder.map((f) => f.version)).toEqual([2])
    expect(plan.missing.map((r) => r.version)).toEqual([5])
    expect(plan.pending).toEqual([])
    const warnings = planWarnings(plan).join('\n')
    expect(warnings).toContain('V002__m2.sql is below the database version 5 and will never be applied')
    expect(warnings).toContain('applied version(s) 5 (m5) have no file')
    expect(warnings).toContain('past --to 1')
  })

  it('without --to, a database past every file is not described as past a --to nobody gave', () => {
    const warnings = planWarnings(planSql([file(1), file(2)], [row(file(1)), row(file(2)), row(file(8))])).join('\n')
    expect(warnings).not.toContain('--to')
    expect(warnings).toContain('the database is at version 8, past the highest file here (2)')
  })
})
