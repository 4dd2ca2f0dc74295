import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { confirmProtectedChange } from '../../src/cli/confirm.js'
import { renderTable } from '../../src/cli/output.js'
import { canPrompt, isCI, useColor } from '../../src/cli/term.js'
import { EXIT_CODES, ExitCode, MktError } from '../../src/errors.js'
import { Redactor } from '../../src/redact.js'

const tty = { stdinIsTTY: true, stdoutIsTTY: true, stderrIsTTY: true }

describe('exit codes', () => {
  it('are frozen', () => {
    expect(EXIT_CODES.map((e) => e.code)).toEqual([0, 1, 2, 64, 65, 69, 70, 73, 75, 77, 78, 80, 81, 82, 130])
    for (const entry of EXIT_CODES) expect(ExitCode[entry.name]).toBe(entry.code)
  })
})

describe('CI and TTY detection', () => {
  it('detects CI from the usual variables', () => {
    expect(isCI({})).toBe(false)
    expect(isCI({ CI: 'true' })).toBe(true)
    expect(isCI({ CI: 'false' })).toBe(false)
    expect(isCI({ TF_BUILD: 'True' })).toBe(true)
    expect(isCI({ GITHUB_ACTIONS: 'true' })).toBe(true)
    expect(isCI({ CI_PIPELINE_ID: '42' })).toBe(true)
  })

  it('prompts only with TTYs on both ends, outside CI, without --json', () => {
    expect(canPrompt({ json: false, env: {}, terminal: tty })).toBe(true)
    expect(canPrompt({ json: true, env: {}, terminal: tty })).toBe(false)
    expect(canPrompt({ json: false, env: { CI: '1' }, terminal: tty })).toBe(false)
    expect(canPrompt({ json: false, env: {}, terminal: { ...tty, stdinIsTTY: false } })).toBe(false)
    expect(canPrompt({ json: false, env: {}, terminal: { ...tty, stderrIsTTY: false } })).toBe(false)
  })

  it('turns colour off for --json, --no-color, NO_COLOR, TERM=dumb and non-TTYs', () => {
    expect(useColor({ json: false, noColor: false, env: {}, isTTY: true })).toBe(true)
    expect(useColor({ json: true, noColor: false, env: {}, isTTY: true })).toBe(false)
    expect(useColor({ json: false, noColor: true, env: {}, isTTY: true })).toBe(false)
    expect(useColor({ json: false, noColor: false, env: { NO_COLOR: '1' }, isTTY: true })).toBe(false)
    expect(useColor({ json: false, noColor: false, env: { NO_COLOR: '' }, isTTY: true })).toBe(true)
    expect(useColor({ json: false, noColor: false, env: { TERM: 'dumb' }, isTTY: true })).toBe(false)
    expect(useColor({ json: false, noColor: false, env: {}, isTTY: false })).toBe(false)
    expect(useColor({ json: false, noColor: false, env: { FORCE_COLOR: '1' }, isTTY: false })).toBe(true)
  })
})

describe('confirmation for protected environments', () => {
  const prod = { name: 'prod', protected: true }
  const refuse = async (promise: Promise<void>) => promise.then(() => undefined, (e: MktError) => e)

  it('passes through unprotected environments and --yes', async () => {
    await confirmProtectedChange({ environment: { name: 'dev', protected: false }, action: 'deploy', yes: false, interactive: false })
    await confirmProtectedChange({ environment: prod, action: 'deploy', yes: true, interactive: false })
  })

  it('refuses non-interactively with exit 64 naming --yes', async () => {
    const error = await refuse(confirmProtectedChange({ environment: prod, action: 'deploy', yes: false, interactive: false }))
    expect(error?.exitCode).toBe(64)
    expect(error?.hints.join(' ')).toContain('--yes')
  })

  it('asks for the environment name on a TTY and accepts only an exact match', async () => {
    await confirmProtectedChange({ environment: prod, action: 'deploy', yes: false, interactive: true, ask: async () => 'prod\n' })
    const error = await refuse(confirmProtectedChange({ environment: prod, action: 'deploy', yes: false, interactive: true, ask: async () => 'y' }))
    expect(error?.exitCode).toBe(1)
    expect(error?.message).toContain('nothing was changed')
  })
})

describe('redactor', () => {
  it('masks registered secrets and their JSON, URL and base64 forms', () => {
    const r = new Redactor()
    const canary = 'canary-S3cr3t/"value"'
    r.register(canary)
    const text = `a ${canary} b ${JSON.stringify(canary)} c ${encodeURIComponent(canary)} d ${Buffer.from(canary).toString('base64')}`
    const out = r.redact(text)
    expect(out).not.toContain('S3cr3t')
    expect(out).not.toContain(Buffer.from(canary).toString('base64'))
  })

  it('ignores values too short to mask safely and masks the longest match first', () => {
    const r = new Redactor()
    r.register('abc')
    r.register('token-1234')
    r.register('token-1234-extended')
    expect(r.redact('abc token-1234-extended')).toBe('abc ***')
  })

  it('scales to many large values: 20 secrets of 30,000 characters, none left in the text', () => {
    const r = new Redactor()
    const secrets = Array.from({ length: 20 }, (_, i) => `s${i}-${randomBytes(22_500).toString('base64')}`)
    for (const secret of secrets) r.register(secret)
    const text = secrets.map((s, i) => `line ${i}: ${s} / ${JSON.stringify({ s })} / ${Buffer.from(s).toString('base64')}`).join('\n')
    const out = r.redact(text)
    for (const secret of secrets) {
      expect(out).not.toContain(secret.slice(0, 200))
      expect(out).not.toContain(Buffer.from(secret).toString('base64').slice(0, 200))
    }
    expect(out.split('\n')[3]).toBe('line 3: *** / {"s":"***"} / ***')
  })

  it('masks adjacent and repeated values, keeps text around them, and leaves unrelated text untouched', () => {
    const r = new Redactor()
    r.register('aaaa-secret')
    r.register('aaaa-other')
    expect(r.redact('xaaaa-secretaaaa-otheraaaa-secret.')).toBe('x*********.')
    const plain = 'nothing here aaaa aaa-secret'
    expect(r.redact(plain)).toBe(plain)
    expect(r.size).toBe(4)
  })
})

describe('tables', () => {
  it('aligns columns and upper-cases headers', () => {
    const text = renderTable([{ a: 'x', b: 'longer' }, { a: 'yyyy', b: 'z' }], [{ header: 'a', get: (r) => r.a }, { header: 'b', get: (r) => r.b }])
    expect(text).toBe('A     B\nx     longer\nyyyy  z')
  })
})
