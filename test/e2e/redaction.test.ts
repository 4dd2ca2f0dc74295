// The last line of defence: once a secret is registered, no write to stdout or stderr carries it,
// whoever does the writing (mkt, a library, console.log).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/cli.js'

describe('redacting streams', () => {
  it('masks a registered canary in process.stdout, process.stderr and console output', () => {
    const canary = 'CANARY-7f3a9c-do-not-print'
    const script = `
      const { redactor } = await import(${JSON.stringify(join(repoRoot, 'dist/src/redact.js'))})
      const { installRedactingStreams } = await import(${JSON.stringify(join(repoRoot, 'dist/src/cli/streams.js'))})
      installRedactingStreams()
      redactor.register(process.env.SECRET)
      process.stdout.write('stdout ' + process.env.SECRET + '\\n')
      process.stderr.write(Buffer.from('stderr ' + process.env.SECRET + '\\n'))
      console.log('console', JSON.stringify({ value: process.env.SECRET }))
      console.error(new Error('failed with ' + process.env.SECRET).message)
    `
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SECRET: canary }, encoding: 'utf8' })
    expect(run.status).toBe(0)
    expect(run.stdout + run.stderr).not.toContain(canary)
    expect(run.stdout).toContain('stdout ***')
    expect(run.stdout).toContain('console {"value":"***"}')
    expect(run.stderr).toContain('failed with ***')
  })
})
