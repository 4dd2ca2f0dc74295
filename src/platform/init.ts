// `mkt init`: copies the templates a repository needs into a directory, never overwriting without force.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { usageError } from '../errors.js'
import { schemasDir, templatesDir } from '../paths.js'

export interface InitResult {
  directory: string
  written: string[]
  overwritten: string[]
}

/** Relative paths of every file init writes, in a stable order. */
export function initFiles(): string[] {
  const files = ['mkt.yaml', 'topology.yaml']
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]))
  return [...files, ...walk(join(templatesDir(), 'config')).map((p) => relative(templatesDir(), p))]
}

export function initProject(directory: string, force: boolean): InitResult {
  const files = initFiles()
  const existing = files.filter((f) => existsSync(join(directory, f)))
  if (existing.length > 0 && !force) {
    throw usageError(`refusing to overwrite ${existing.join(', ')} in ${directory}`, {
      hints: ['Pass --force to overwrite them, or run mkt init in an empty directory.'],
    })
  }
  mkdirSync(directory, { recursive: true })
  for (const file of files) {
    const target = join(directory, file)
    mkdirSync(join(target, '..'), { recursive: true })
    if (file === 'mkt.yaml') {
      // Point the editor modeline at this installation's schema.
      const text = readFileSync(join(templatesDir(), file), 'utf8').replace(
        /^# yaml-language-server: \$schema=.*$/m,
        `# yaml-language-server: $schema=${join(schemasDir(), 'mkt.schema.json')}`,
      )
      writeFileSync(target, text)
    } else {
      cpSync(join(templatesDir(), file), target)
    }
  }
  return { directory, written: files.filter((f) => !existing.includes(f)), overwritten: existing }
}
