// `mkt init`: copies the templates a repository needs into a directory, never overwriting without force.
// The editor schemas go along (schemas/), so the `$schema` lines are relative paths that hold on any machine.
import { accessSync, constants, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { usageError } from '../errors.js'
import { schemasDir, templatesDir } from '../paths.js'

export interface InitResult {
  directory: string
  written: string[]
  overwritten: string[]
}

const SCHEMA_FILES = ['schemas/mkt.schema.json', 'schemas/topology.schema.json']

/** Relative paths of every file init writes, in a stable order. */
export function initFiles(): string[] {
  const files = ['mkt.yaml', 'topology.yaml']
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]))
  return [...files, ...walk(join(templatesDir(), 'config')).map((p) => relative(templatesDir(), p)), ...SCHEMA_FILES]
}

/** Where a file init writes comes from. */
const sourceOf = (file: string) => (SCHEMA_FILES.includes(file) ? join(schemasDir(), file.slice('schemas/'.length)) : join(templatesDir(), file))

export function initProject(directory: string, force: boolean): InitResult {
  const files = initFiles()
  makeDirectory(directory)
  const existing = files.filter((f) => existsSync(join(directory, f)))
  if (existing.length > 0 && !force) {
    throw usageError(`refusing to overwrite ${existing.join(', ')} in ${directory}`, {
      hints: ['Pass --force to overwrite them, or run mkt init in an empty directory.'],
    })
  }
  for (const file of files) {
    const target = join(directory, file)
    makeDirectory(dirname(target))
    if (file === 'mkt.yaml' || file === 'topology.yaml') {
      // The editor modeline points at the copy of the schema written beside it.
      const schema = `./schemas/${file.replace('.yaml', '.schema.json')}`
      const text = readFileSync(sourceOf(file), 'utf8').replace(/^# yaml-language-server: \$schema=.*$/m, `# yaml-language-server: $schema=${schema}`)
      writeFileSync(target, text)
    } else {
      cpSync(sourceOf(file), target)
    }
  }
  return { directory, written: files.filter((f) => !existing.includes(f)), overwritten: existing }
}

/**
 * `mkdir -p` that fails with a usage error naming the path: Node's recursive mkdir crashes on a path under a
 * regular file (ENOTDIR) and loops forever under /proc, so we find the deepest existing ancestor ourselves,
 * check it is a writable directory, and create the missing levels one by one.
 */
function makeDirectory(directory: string): void {
  const missing: string[] = []
  let existing = directory
  while (!existsSync(existing)) {
    missing.unshift(existing)
    const parent = dirname(existing)
    if (parent === existing) break
    existing = parent
  }
  const refuse = (reason: string) => usageError(`cannot create ${directory}: ${reason}`, { hints: ['Pass --dir with a directory you can write to.'] })
  if (!statSync(existing).isDirectory()) throw refuse(`${existing} is not a directory`)
  try {
    accessSync(existing, constants.W_OK)
  } catch {
    throw refuse(`${existing} is not writable`)
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST' && statSync(dir).isDirectory()) continue
      const reason = code === 'EPERM' || code === 'EACCES' || code === 'EROFS' ? 'permission denied' : 'the file system refused it'
      throw refuse(`${reason} at ${dir} (${code ?? (error as Error).message})`)
    }
  }
}
