// Generated files must match their sources: the oclif manifest (built by npm run build) and the
// committed JSON Schemas (npm run schemas). Every flag has an MKT_* environment variable.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '..', '..')
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, { flags: Record<string, { env?: string; name: string }>; args: Record<string, unknown> }>
}
const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]))

describe('oclif manifest', () => {
  it('lists exactly the commands in commands/ (stale when a command was added without a build)', () => {
    const fromSource = walk(join(root, 'commands'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => relative(join(root, 'commands'), f).replace(/\.ts$/, '').replace(/\/index$/, '').split('/').join(':'))
      .sort()
    const fromManifest = Object.keys(manifest.commands).filter((id) => !id.startsWith('autocomplete')).sort()
    expect(fromManifest).toEqual(fromSource)
  })

  it('matches the flags and args of the built command classes', async () => {
    for (const [id, entry] of Object.entries(manifest.commands)) {
      if (id.startsWith('autocomplete')) continue
      const mod = await import(join(root, 'dist', 'cli', 'commands', ...id.split(':')) + '.js')
      const cls = mod.default as { flags?: Record<string, unknown>; baseFlags?: Record<string, unknown>; args?: Record<string, unknown>; enableJsonFlag?: boolean }
      const flags = Object.keys({ ...cls.baseFlags, ...cls.flags, ...(cls.enableJsonFlag === false ? {} : { json: true }) }).sort()
      expect(Object.keys(entry.flags).sort(), id).toEqual(flags)
      expect(Object.keys(entry.args).sort(), id).toEqual(Object.keys(cls.args ?? {}).sort())
    }
  })

  it('gives every flag an MKT_* environment variable', () => {
    for (const [id, entry] of Object.entries(manifest.commands)) {
      if (id.startsWith('autocomplete')) continue
      for (const flag of Object.values(entry.flags)) {
        if (flag.name === 'json') continue // MKT_CONTENT_TYPE=json / MKT_JSON=1
        expect(flag.env, `${id} --${flag.name}`).toMatch(/^MKT_[A-Z0-9_]+$/)
      }
    }
  })
})

describe('JSON Schemas in schemas/', () => {
  it('are up to date with the zod schemas', () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'schemas.mjs'), '--check'], { cwd: root, stdio: 'pipe' })
  })
})
