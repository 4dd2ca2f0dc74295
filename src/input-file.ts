// Reading a file the operator named (--config, --file, --from-file, mkt.yaml found by walking up): only a
// regular file, and only up to a size bound. A directory, FIFO, device (/dev/zero) or a huge file would
// otherwise crash (EISDIR), block forever (a FIFO with no writer) or fill memory; each is a one-line error.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { invalidInputError, usageError, type MktError } from './errors.js'

/** Input files (mkt.yaml, topology.yaml, config, SQL, manifests) are small; 4 MiB is far above any real one. */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024

export interface InputFileOptions {
  /** What the file is, for messages: `config file`, `topology file`, `secret file for DB-PASSWORD`. */
  what: string
  maxBytes?: number
  /** Error for a missing, unreadable or non-regular file (default: usage, exit 64). */
  refuse?: (message: string, hints: string[]) => MktError
}

const kindOf = (stats: Stats) =>
  stats.isDirectory() ? 'a directory' : stats.isFIFO() ? 'a FIFO' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : stats.isSocket() ? 'a socket' : 'not a regular file'

/** The text of `path`, or an MktError naming the file and what is wrong with it. Never blocks on special files. */
export function readInputFile(path: string, options: InputFileOptions): string {
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES
  const refuse = options.refuse ?? ((message: string, hints: string[]) => usageError(message, { hints }))
  let fd: number
  try {
    // stat first: opening a FIFO without a writer blocks; O_NONBLOCK covers a file swapped in between.
    const stats = statSync(path)
    if (!stats.isFile()) throw refuse(`${options.what} ${path} is ${kindOf(stats)}; mkt reads regular files only`, ['Name a regular file.'])
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as MktError).exitCode !== undefined) throw error
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' || code === 'EPERM' ? 'is not readable (permission denied)' : `cannot be read (${code ?? (error as Error).message})`
    throw refuse(`${options.what} ${path} ${reason}`, ['Check the path and its permissions.'])
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw refuse(`${options.what} ${path} is ${kindOf(stats)}; mkt reads regular files only`, ['Name a regular file.'])
    if (stats.size > maxBytes) throw tooLarge(options.what, path, maxBytes)
    // Read at most one byte past the bound: a file that grows while we read is still refused, not slurped.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1)
    let length = 0
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
      if (length > maxBytes) throw tooLarge(options.what, path, maxBytes)
      if (length === buffer.length) break
    }
    return buffer.subarray(0, length).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

const tooLarge = (what: string, path: string, maxBytes: number) =>
  invalidInputError(`${what} ${path} is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB; mkt reads input files up to that size`, {
    hints: ['Check that the path names the intended file.'],
  })
