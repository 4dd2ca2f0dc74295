// Bad input never crashes: every hostile flag value and input file ends in a one-line usage (64), invalid
// input (65) or configuration (78) error, within a bound, with nothing written. A fuzz pass over the commands
// keeps the whole class covered: no exit 70, no hang, no file created.
import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { binPath, cleanEnv, parseEnvelope, runMkt, type RunResult } from '../helpers/cli.js'

const scratch = () => mkdtempSync(join(tmpdir(), 'mkt-hostile-'))
/** Well above a CLI start on a loaded machine; a hang (the FIFO, /dev/zero, /proc) would blow through it. */
const BOUND_MS = 20_000

/** Every file under dir, so a test can assert that nothing was written. */
const listing = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort()

/** Runs mkt in an isolated directory (no sandbox can start: MKT_SANDBOX_DIR is private and never used). */
async function hostile(args: string[], cwd = scratch()): Promise<RunResult & { written: string[]; ms: number }> {
  const before = listing(cwd)
  const started = Date.now()
  const run = await runMkt(args, { cwd, env: { MKT_SANDBOX_DIR: join(cwd, '.no-sandbox') }, timeoutMs: BOUND_MS })
  const after = listing(cwd)
  return { ...run, written: after.filter((f) => !before.includes(f)), ms: Date.now() - started }
}

function expectRefused(run: RunResult & { written: string[] }, code: number, text?: string | RegExp) {
  expect(run.exitCode, run.stderr).toBe(code)
  expect(run.written).toEqual([])
  const lines = run.stderr.trim().split('\n')
  expect(lines[0]).toMatch(/^Error: /)
  expect(run.stderr).not.toContain('This is a bug')
  if (text) expect(lines[0]).toMatch(text)
}

const billionLaughs = (() => {
  let text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
  let previous = 'a'
  for (const name of 'bcdefg') {
    text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]\n`
    previous = name
  }
  return text
})()

describe('mkt init --dir on paths it cannot create', () => {
  it('a path under a regular file, /sys and /proc: exit 64 naming the path, nothing written, no loop', async () => {
    const dir = scratch()
    writeFileSync(join(dir, 'afile'), 'x')
    expectRefused(await hostile(['init', '--dir', 'afile/x'], dir), 64, /cannot create .*afile\/x: .*afile is not a directory/)
    expectRefused(await hostile(['init', '--dir', '/sys/mkt-x'], dir), 64, /cannot create \/sys\/mkt-x/)
    const proc = await hostile(['init', '--dir', '/proc/mkt-x'], dir)
    expectRefused(proc, 64, /cannot create \/proc\/mkt-x/)
  })

  it('writes $schema lines that hold on any machine: relative, to copies written beside them', async () => {
    const dir = scratch()
    const run = await runMkt(['init', '-q'], { cwd: dir })
    expect(run.exitCode).toBe(0)
    const { readFileSync, existsSync } = await import('node:fs')
    expect(readFileSync(join(dir, 'mkt.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./schemas/mkt.schema.json')
    expect(readFileSync(join(dir, 'topology.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./schemas/topology.schema.json')
    expect(existsSync(join(dir, 'schemas', 'mkt.schema.json'))).toBe(true)
    expect(existsSync(join(dir, 'schemas', 'topology.schema.json'))).toBe(true)
  })
})

describe("the parser's own errors are usage errors (64), with did-you-mean for flags", () => {
  it('a flag without its value, a flag given twice', async () => {
    expectRefused(await hostile(['deploy', 'service', 'catalog', '--image']), 64, /Flag --image expects a value/)
    expectRefused(await hostile(['deploy', 'service', 'catalog', '--image', '-rf']), 64)
    expectRefused(await hostile(['deploy', 'service', 'catalog', '--image', '2.0.0', '--image', '3.0.0']), 64, /--image can only be specified once/)
  })

  it('suggests the closest flag for a typo, in text and in --json', async () => {
    const typo = await hostile(['components', 'list', '--jsno'])
    expectRefused(typo, 64, /--jsno/)
    expect(typo.stderr).toContain('Hint: Did you mean --json?')
    const json = await hostile(['deploy', 'service', 'catalog', '--imag', '2.0.0', '--json'])
    expect(json.exitCode).toBe(64)
    expect(parseEnvelope(json).error?.hints[0]).toBe('Did you mean --image?')
  })

  it('health --timeout 0s is refused (64), not reported as an unreachable region', async () => {
    expectRefused(await hostile(['health', '--timeout', '0s']), 64, /--timeout.*"0s".*more than 0/)
  })
})

describe('input files are read only when regular and bounded', () => {
  it('--config naming a directory, a FIFO or /dev/zero: exit 64 at once', async () => {
    const dir = scratch()
    mkdirSync(join(dir, 'adir'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
    expectRefused(await hostile(['components', 'list', '--config', 'adir'], dir), 64, /adir is a directory/)
    const fifo = await hostile(['components', 'list', '--config', 'fifo'], dir)
    expectRefused(fifo, 64, /fifo is a FIFO/)
    expectRefused(await hostile(['components', 'list', '--config', '/dev/zero'], dir), 64, /\/dev\/zero is a device/)
    expectRefused(await hostile(['topics', 'plan', '--file', '/dev/urandom'], dir), 64, /\/dev\/urandom is a device/)
    expectRefused(await hostile(['config', 'plan', '--from-file', 'DB-PASSWORD=/dev/zero'], dir), 78, /\/dev\/zero is a device/)
  })

  it('a file over the size bound is refused (65)', async () => {
    const dir = scratch()
    writeFileSync(join(dir, 'huge.yaml'), `platform: {name: x}\n#${'x'.repeat(5 * 1024 * 1024)}\n`)
    expectRefused(await hostile(['components', 'list', '--config', 'huge.yaml'], dir), 65, /larger than 4 MiB/)
  })

  it('YAML: billion laughs, an undefined alias and 5,000-deep nesting are invalid input (65) naming the file', async () => {
    const dir = scratch()
    writeFileSync(join(dir, 'laughs.yaml'), billionLaughs)
    writeFileSync(join(dir, 'alias.yaml'), 'platform: *nope\n')
    writeFileSync(join(dir, 'deep.yaml'), `platform:\n  name: x\na: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)
    writeFileSync(join(dir, 'deep-block.yaml'), Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n')
    expectRefused(await hostile(['components', 'list', '--config', 'laughs.yaml'], dir), 65, /laughs\.yaml: too many alias expansions/)
    expectRefused(await hostile(['components', 'list', '--config', 'alias.yaml'], dir), 65, /alias\.yaml: alias to an undefined anchor: \*nope/)
    expectRefused(await hostile(['components', 'list', '--config', 'deep.yaml'], dir), 65, /deep\.yaml:\d+:\d+: YAML nesting is deeper than 64 levels/)
    expectRefused(await hostile(['components', 'list', '--config', 'deep-block.yaml'], dir), 65, /deep-block\.yaml:\d+:\d+: YAML nesting is deeper than 64 levels/)
  })
})

describe('topics plan checks Service Bus limits before it plans (65, entity and field named)', () => {
  const cases: Array<[string, RegExp]> = [
    ['queues:\n  - { name: q1, lockDuration: 10m }\n', /queues\[0\]\.lockDuration: 10m is out of range: Service Bus takes between 1s and 5m/],
    ['queues:\n  - { name: q1, lockDuration: 0s }\n', /queues\[0\]\.lockDuration: 0s is out of range/],
    ['queues:\n  - { name: q1, autoDeleteOnIdle: 1m }\n', /queues\[0\]\.autoDeleteOnIdle: 1m is out of range: Service Bus takes at least 5m/],
    ['topics:\n  - { name: t1, duplicateDetectionHistoryTimeWindow: 1s }\n', /topics\[0\]\.duplicateDetectionHistoryTimeWindow: 1s is out of range/],
    ['topics:\n  - name: t1\n    subscriptions:\n      - { name: s1, lockDuration: 6m }\n', /topics\[0\]\.subscriptions\[0\]\.lockDuration: 6m/],
    ['queues:\n  - { name: q1, maxSizeInMegabytes: 1000 }\n', /queues\[0\]\.maxSizeInMegabytes: 1000 is not a size Service Bus offers/],
    ['queues:\n  - { name: q1 }\nenvironments:\n  local:\n    queues:\n      q1: { lockDuration: 1h }\n', /environments\.local\.queues\.q1\.lockDuration: 1h/],
  ]
  it.each(cases)('%s', async (body, message) => {
    const dir = scratch()
    writeFileSync(join(dir, 'topology.yaml'), `apiVersion: mkt/v1\n${body}`)
    const run = await hostile(['topics', 'plan', '--file', 'topology.yaml'], dir)
    expectRefused(run, 65, message)
    expect(run.stderr.split('\n')[0]).toMatch(/topology\.yaml:\d+:\d+: /)
  })
})

describe('a signal at any moment ends in 130', () => {
  it('SIGTERM right after start (before a command could install its handler) exits 130, not by the raw signal', async () => {
    // Node itself must be up before any JavaScript can answer a signal: measure its bare start on this machine
    // (under load it is slow), then signal inside mkt's module loading, which takes several times longer.
    const bootStarted = Date.now()
    execFileSync(process.execPath, ['-e', '0'])
    const bootMs = Date.now() - bootStarted
    for (const delayMs of [bootMs * 2, bootMs * 3]) {
      const child = spawn(process.execPath, [binPath, 'components', 'list', '--json'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      child.stdout.on('data', (d) => (stdout += d))
      await new Promise((resolve) => child.once('spawn', resolve))
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      child.kill('SIGTERM')
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])))
      expect(signal).toBeNull()
      // Either the signal came first (130, with the envelope) or the listing finished first (0).
      expect([0, 130]).toContain(code)
      if (code === 130) expect(JSON.parse(stdout).error.code).toBe('INTERRUPTED')
    }
  })
})

describe('fuzz: hostile values for every command never crash, hang or write', () => {
  const values = ['', '-', '--', '-rf', '\u0007', '../../../../etc/passwd', '/dev/zero', '/proc/self/mem', '%s%n', 'x'.repeat(5000), '1e309', '-1', '☃', '$(touch pwned)']
  const commands: string[][] = [
    ['deploy', 'service', 'catalog', '--image'],
    ['deploy', 'service', 'catalog', '--image', '2.0.0', '--plan', '--bake'],
    ['deploy', 'service', '--image', '2.0.0', '--plan', '--component'],
    ['rollback', 'catalog', '--timeout'],
    ['health', '--timeout'],
    ['health', '--component'],
    ['topics', 'plan', '--file'],
    ['config', 'plan', '--env'],
    ['config', 'push', '--from-file'],
    ['migrate', 'plan', '--sql'],
    ['history', 'catalog', '--env'],
    ['components', 'list', '--config'],
    ['init', '--dir'],
  ]
  it('no exit 70, no hang past the bound, nothing written', { timeout: 600_000 }, async () => {
    const failures: string[] = []
    // Every command with a few values each (all values would take minutes): a different slice per command.
    for (const [i, command] of commands.entries()) {
      for (const value of [values[i % values.length]!, values[(i + 7) % values.length]!]) {
        if (command[0] === 'init' && !value.startsWith('/') && !value.startsWith('.')) continue // init writes where it is told: a plain name is a legal directory
        // --json before the hostile flag: a value of "--" ends the options, and what follows is positional.
        const run = await hostile([...command.slice(0, -1), '--json', command.at(-1)!, value])
        const label = `${command.join(' ')} ${JSON.stringify(value.slice(0, 20))}`
        if (run.exitCode === null || run.exitCode === 70) failures.push(`${label}: exit ${run.exitCode} ${run.stdout.slice(0, 200)}`)
        if (run.written.length > 0) failures.push(`${label}: wrote ${run.written.join(', ')}`)
        if (run.exitCode !== 0 && run.exitCode !== null) {
          // Under --json a failure is one envelope on stdout.
          let ok: boolean | undefined
          try {
            ok = parseEnvelope(run).ok
          } catch {
            ok = undefined
          }
          if (ok !== false) failures.push(`${label}: exit ${run.exitCode} without a failure envelope: ${run.stderr.slice(0, 200)}`)
        }
      }
    }
    expect(failures).toEqual([])
  })
})
