// The foundation contract, exercised through the built CLI: output split, --json envelope and schemas,
// exit codes, errors with hints, mkt.yaml errors with line and column, init, colour and quiet.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseEnvelope, runMkt, runMktRecordingImports, validateEnvelope } from '../helpers/cli.js'

const scratch = () => mkdtempSync(join(tmpdir(), 'mkt-e2e-'))
const ESC = '\u001B['

const ALL_COMPONENTS = [
  'marketplace-catalog-service', 'marketplace-search-service', 'asset-publishing-service', 'asset-version-service',
  'asset-compatibility-service', 'dependency-resolution-service', 'asset-installation-service', 'license-service',
  'pricing-service', 'publisher-portal-service', 'review-rating-service', 'marketplace-publishing-worker',
  'asset-quality-scan-worker', 'asset-indexing-worker', 'compatibility-evaluation-worker', 'installation-worker',
]

describe('mkt components list', () => {
  it('prints the 16 components of the built-in platform as a table on stdout', async () => {
    const run = await runMkt(['components', 'list'])
    expect(run.exitCode).toBe(0)
    expect(run.stderr).toBe('')
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+ALIASES\s+PUBLIC\s+DEPENDS ON$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(ALL_COMPONENTS)
    expect(run.stdout).not.toContain(ESC)
  })

  it('--json prints only the envelope, valid against the committed schema', async () => {
    const run = await runMkt(['components', 'list', '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.stderr).toBe('')
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('components list', envelope)).toEqual([])
    expect(envelope.ok).toBe(true)
    const result = envelope.result as { components: Array<{ name: string; kind: string; dependsOn: string[] }> }
    expect(result.components.map((c) => c.name)).toEqual(ALL_COMPONENTS)
    expect(result.components.filter((c) => c.kind === 'worker')).toHaveLength(5)
    // dependsOn is normalised from aliases to names
    expect(result.components.find((c) => c.name === 'marketplace-search-service')!.dependsOn).toEqual(['marketplace-catalog-service'])
  })

  it('MKT_CONTENT_TYPE=json and MKT_JSON=1 behave like --json', async () => {
    for (const env of [{ MKT_CONTENT_TYPE: 'json' }, { MKT_JSON: '1' }]) {
      const run = await runMkt(['components', 'list'], { env })
      expect(run.exitCode).toBe(0)
      expect(parseEnvelope(run).ok).toBe(true)
    }
  })

  it('an unknown flag is a usage error: exit 64, one line and a hint on stderr, nothing on stdout', async () => {
    const run = await runMkt(['components', 'list', '--bogus'])
    expect(run.exitCode).toBe(64)
    expect(run.stdout).toBe('')
    expect(run.stderr.split('\n')[0]).toBe('Error: Nonexistent flag: --bogus')
    expect(run.stderr).toMatch(/Hint: .*--help/)
    expect(run.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('an unknown flag under --json is a failure envelope with exit code 64', async () => {
    const run = await runMkt(['components', 'list', '--bogus', '--json'])
    expect(run.exitCode).toBe(64)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('components list', envelope)).toEqual([])
    expect(envelope.ok).toBe(false)
    expect(envelope.error).toMatchObject({ code: 'USAGE', exitCode: 64 })
  })
})

describe('mkt env', () => {
  it('env list shows the five built-in environments with the default marked', async () => {
    const run = await runMkt(['env', 'list', '--json'])
    expect(run.exitCode).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('env list', envelope)).toEqual([])
    const result = envelope.result as { environments: Array<{ name: string; default: boolean; protected: boolean }> }
    expect(result.environments.map((e) => e.name)).toEqual(['local', 'dev', 'staging', 'prod', 'local-multi', 'containerapps'])
    expect(result.environments.find((e) => e.default)!.name).toBe('local')
    expect(result.environments.find((e) => e.name === 'prod')!.protected).toBe(true)
  })

  it('env show prod resolves regions primary first, and names secret sources without values', async () => {
    const run = await runMkt(['env', 'show', 'prod', '--json'])
    expect(run.exitCode).toBe(0)
    const envelope = parseEnvelope(run)
    expect(validateEnvelope('env show', envelope)).toEqual([])
    const env = (envelope.result as { environment: { regions: Array<{ name: string; primary: boolean }>; database: { source: string } } }).environment
    expect(env.regions.map((r) => [r.name, r.primary])).toEqual([['westeurope', true], ['northeurope', false]])
    expect(env.database.source).toBe('Key Vault secret marketplace--ConnectionStrings--Database')
  })

  it('env show with an unknown name exits 64 with a suggestion', async () => {
    const run = await runMkt(['env', 'show', 'prd'])
    expect(run.exitCode).toBe(64)
    expect(run.stderr).toContain('Error: unknown environment "prd"')
    expect(run.stderr).toContain('Did you mean "prod"?')
  })

  it('env show without the argument is a usage error', async () => {
    const run = await runMkt(['env', 'show'])
    expect(run.exitCode).toBe(64)
    expect(run.stderr).toMatch(/^Error: Missing 1 required arg/)
  })
})

describe('mkt.yaml errors', () => {
  const write = (text: string) => {
    const dir = scratch()
    writeFileSync(join(dir, 'mkt.yaml'), text)
    return dir
  }
  const valid = readFileSync(join(__dirname, '..', '..', 'templates', 'mkt.yaml'), 'utf8')

  it('a YAML syntax error exits 65 and names the file, line and column', async () => {
    const dir = write('apiVersion: mkt/v1\nplatform:\n  name: x\n components: [\n')
    const run = await runMkt(['components', 'list'], { cwd: dir })
    expect(run.exitCode).toBe(65)
    expect(run.stderr.split('\n')[0]).toMatch(new RegExp(`^Error: ${join(dir, 'mkt.yaml').replace(/[/.]/g, '\\$&')}:4:1: YAML syntax error: `))
  })

  it('a schema error exits 65 naming the field and its line', async () => {
    const dir = write(valid.replace('    kind: worker\n    aliases: [install-worker]', '    kind: job\n    aliases: [install-worker]'))
    const run = await runMkt(['components', 'list', '--json'], { cwd: dir })
    expect(run.exitCode).toBe(65)
    const envelope = parseEnvelope(run)
    expect(envelope.error!.code).toBe('INVALID_INPUT')
    const line = valid.split('\n').findIndex((l, i, all) => l === '    kind: worker' && all[i + 1] === '    aliases: [install-worker]') + 1
    expect(envelope.error!.message).toMatch(new RegExp(`mkt\\.yaml:${line}:\\d+: components\\[15\\]\\.kind: `))
  })

  it('an unknown field is named', async () => {
    const dir = write(valid.replace('  name: marketplace\n', '  name: marketplace\n  colour: blue\n'))
    const run = await runMkt(['env', 'list'], { cwd: dir })
    expect(run.exitCode).toBe(65)
    expect(run.stderr).toMatch(/mkt\.yaml:\d+:\d+: platform: unknown field "colour"/)
  })

  it('dependsOn naming an unknown component exits 65', async () => {
    const dir = write(valid.replace('dependsOn: [catalog]\n', 'dependsOn: [catalogue]\n'))
    const run = await runMkt(['components', 'list'], { cwd: dir })
    expect(run.exitCode).toBe(65)
    expect(run.stderr).toMatch(/components\[1\]\.dependsOn\[0\]: unknown component "catalogue"/)
  })

  it('--config (and MKT_CONFIG) pointing at a missing file is a usage error', async () => {
    const run = await runMkt(['components', 'list'], { env: { MKT_CONFIG: '/nonexistent/mkt.yaml' } })
    expect(run.exitCode).toBe(64)
    expect(run.stderr).toContain('config file /nonexistent/mkt.yaml does not exist')
  })

  it('mkt.yaml is found by walking up from the working directory', async () => {
    const dir = write(valid.replace('  name: marketplace\n', '  name: walked-up\n'))
    const nested = join(dir, 'a', 'b')
    await import('node:fs').then((fs) => fs.mkdirSync(nested, { recursive: true }))
    const run = await runMkt(['components', 'list', '--json'], { cwd: nested })
    expect(run.exitCode).toBe(0)
    expect((parseEnvelope(run).result as { platform: string; source: string })).toEqual(expect.objectContaining({ platform: 'walked-up', source: join(dir, 'mkt.yaml') }))
  })
})

describe('mkt init', () => {
  it('writes mkt.yaml, topology.yaml and config/, then refuses to overwrite without --force', async () => {
    const dir = scratch()
    const first = await runMkt(['init', '--json'], { cwd: dir })
    expect(first.exitCode).toBe(0)
    const envelope = parseEnvelope(first)
    expect(validateEnvelope('init', envelope)).toEqual([])
    const written = (envelope.result as { written: string[] }).written
    expect(written).toEqual(expect.arrayContaining(['mkt.yaml', 'topology.yaml', 'config/local/_shared.yaml']))
    for (const file of written) expect(existsSync(join(dir, file))).toBe(true)

    // The written mkt.yaml is what mkt then uses.
    const list = await runMkt(['components', 'list', '--json'], { cwd: dir })
    expect((parseEnvelope(list).result as { source: string }).source).toBe(join(dir, 'mkt.yaml'))

    writeFileSync(join(dir, 'topology.yaml'), 'edited')
    const second = await runMkt(['init'], { cwd: dir })
    expect(second.exitCode).toBe(64)
    expect(second.stderr).toContain('refusing to overwrite')
    expect(second.stderr).toContain('--force')
    expect(readFileSync(join(dir, 'topology.yaml'), 'utf8')).toBe('edited') // nothing changed

    const forced = await runMkt(['init', '--force', '-q'], { cwd: dir })
    expect(forced.exitCode).toBe(0)
    expect(forced.stderr).toBe('') // --quiet drops progress lines
    expect(readFileSync(join(dir, 'topology.yaml'), 'utf8')).not.toBe('edited')
  })
})

describe('colour, help and unknown commands', () => {
  it('colours errors only when allowed: FORCE_COLOR on, NO_COLOR / --no-color / TERM=dumb off', async () => {
    const coloured = await runMkt(['env', 'show', 'nope'], { env: { FORCE_COLOR: '1' } })
    expect(coloured.stderr).toContain(ESC)
    for (const env of [{ FORCE_COLOR: '1', NO_COLOR: '1' }, { FORCE_COLOR: '1', TERM: 'dumb' }]) {
      const plain = await runMkt(['env', 'show', 'nope'], { env })
      expect(plain.exitCode).toBe(64)
      expect(plain.stderr).not.toContain(ESC)
    }
    const flag = await runMkt(['env', 'show', 'nope', '--no-color'], { env: { FORCE_COLOR: '1' } })
    expect(flag.stderr).not.toContain(ESC)
  })

  it('an unknown command exits 64 and suggests the closest one', async () => {
    const run = await runMkt(['components', 'lst'])
    expect(run.exitCode).toBe(64)
    expect(run.stderr).toContain('Did you mean "mkt components list"?')
    const json = await runMkt(['components', 'lst', '--json'])
    expect(json.exitCode).toBe(64)
    expect(parseEnvelope(json).error!.exitCode).toBe(64)
  })

  it('--help documents the exit codes', async () => {
    const run = await runMkt(['--help'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('EXIT CODES')
    for (const code of ['64', '65', '69', '73', '75', '80', '81', '82', '130']) expect(run.stdout).toMatch(new RegExp(`\\n  ${code} +\\S`))
  })

  it('--version prints the version', async () => {
    const run = await runMkt(['--version'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^mkt\/0\.1\.0 /)
  })
})

describe('startup stays light', () => {
  it('--version and components list never load @kubernetes/client-node or an Azure SDK', async () => {
    for (const args of [['--version'], ['components', 'list']]) {
      const run = await runMktRecordingImports(args)
      expect(run.exitCode).toBe(0)
      expect(run.loaded).toContain('dist/cli/run.js') // the recorder works
      expect(run.loaded).not.toMatch(/@kubernetes|@azure|listr2|execa/)
      // Bundled packages live in chunks: none of the chunks loaded may carry an SDK.
      expect(run.chunks.length).toBeGreaterThan(1)
      expect(run.packages).toContain('@oclif/core')
      expect(run.packages.filter((p) => /^(@kubernetes|@azure)\//.test(p) || p === 'listr2' || p === 'execa')).toEqual([])
    }
    const packages = JSON.parse(readFileSync(join(__dirname, '..', '..', 'dist', 'cli', 'packages.json'), 'utf8')) as Record<string, string[]>
    expect(Object.values(packages).flat()).toContain('@kubernetes/client-node') // it is bundled, just not loaded
  })
})
