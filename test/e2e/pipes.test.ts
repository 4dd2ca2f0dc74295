// Output through a pipe arrives whole: a pipe takes 64 KiB at a time, and mkt must not exit before the
// reader has every byte, for --json and for text, on success and on failure.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { binPath, cleanEnv } from '../helpers/cli.js'

const project = mkdtempSync(join(tmpdir(), 'mkt-pipes-'))
const KEYS = 200
const VALUE_LENGTH = 6_000
const valueOf = (i: number) => `v${i}-${'x'.repeat(VALUE_LENGTH)}`

mkdirSync(join(project, 'config', 'local'), { recursive: true })
writeFileSync(join(project, 'config', 'local', 'marketplace-catalog-service.yaml'), Object.keys([...Array(KEYS)]).map((i) => `Key${i}: ${valueOf(Number(i))}\n`).join(''))

/** `mkt … | node -e <reader>` through a shell pipe; the reader reports what it parsed. */
function throughPipe(mktArgs: string, reader: string, group = false): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `${group ? '{ ' : ''}"${process.execPath}" "${binPath}" ${mktArgs}${group ? '; }' : ''} | "${process.execPath}" -e '${reader}'`], { cwd: project, env: cleanEnv() })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

const readAll = 'let s="";process.stdin.setEncoding("utf8");process.stdin.on("data",(d)=>s+=d);process.stdin.on("end",()=>{'

describe('output through a pipe', () => {
  it('--json over 1 MB is parsed whole by the next program', async () => {
    const reader = `${readAll}const e=JSON.parse(s);console.log(JSON.stringify({bytes:Buffer.byteLength(s),ok:e.ok,entries:e.result.entries.length,last:e.result.entries.at(-1).value.length}))})`
    const run = await throughPipe('config get catalog --config-dir config --json', reader)
    expect(run.code, run.err).toBe(0)
    const seen = JSON.parse(run.out)
    expect(seen.bytes).toBeGreaterThan(1_000_000)
    expect(seen).toMatchObject({ ok: true, entries: KEYS })
    expect(seen.last).toBeGreaterThan(VALUE_LENGTH)
  })

  it('text over 1 MB arrives to the last line', async () => {
    const reader = `${readAll}console.log(JSON.stringify({bytes:Buffer.byteLength(s),keys:(s.match(/^Key\\d+ /gm)||[]).length,lastValue:s.includes("v${KEYS - 1}-x")}))})`
    const run = await throughPipe('config get catalog --config-dir config', reader)
    expect(run.code, run.err).toBe(0)
    const seen = JSON.parse(run.out)
    expect(seen.bytes).toBeGreaterThan(1_000_000)
    expect(seen).toMatchObject({ keys: KEYS, lastValue: true })
  })

  it('a failure arrives whole through the pipe and keeps its exit code', async () => {
    const reader = `${readAll}const e=JSON.parse(s);console.log(JSON.stringify({ok:e.ok,exitCode:e.error.exitCode}))})`
    const run = await throughPipe(`config get ${'y'.repeat(100_000)} --json; echo "mkt exited $?" >&2`, reader, true)
    expect(run.code, run.err).toBe(0)
    expect(JSON.parse(run.out)).toEqual({ ok: false, exitCode: 64 })
    expect(run.err).toContain('mkt exited 64')
  })
})
