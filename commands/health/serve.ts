import { Flags } from '@oclif/core'
import { durationFlag } from '../../src/cli/duration-flag.js'
import { componentsFlag, envFlag, MktCommand, regionsFlag } from '../../src/cli/mkt-command.js'
import { parseDuration } from '../../src/duration.js'
import { usageError } from '../../src/errors.js'
import { healthOptions } from '../../src/health/probe.js'
import { refuseContainerApps } from '../../src/kube/client.js'
import { parseListen, startHealthServer } from '../../src/health/serve/server.js'

/** SIGTERM must end the process within a second (Kubernetes' grace period is not ours to spend). */
const STOP_DEADLINE_MS = 900

export default class HealthServe extends MktCommand<typeof HealthServe> {
  static override summary = 'Serve the health roll-up to dashboards: /health, /metrics, /events, kept current from watches.'
  static override description = `A long-running process: Kubernetes state from watches (Deployments, ReplicaSets, pods, HPAs and KEDA
ScaledObjects where served), /health/ready and /health/live probes of every component on an interval with jitter
(and again soon after Kubernetes changes it), Service Bus backlog on the same interval. Requests are answered from
memory: GET /health (the envelope of \`mkt health --json\`, with the time of each signal), GET /metrics (Prometheus),
GET /events (Server-Sent Events on every change), and its own /health/live and /health/ready.
SIGTERM or Ctrl-C stops it cleanly (exit 0). Read-only: it never writes to the cluster.`
  // A server prints no result document; its answers are the HTTP endpoints.
  static override enableJsonFlag = false
  static override flags = {
    env: envFlag,
    component: componentsFlag,
    regions: regionsFlag,
    listen: Flags.string({ summary: 'Address to listen on: host:port (0 picks a free port).', default: '127.0.0.1:9464', env: 'MKT_LISTEN', helpValue: '<host:port>' }),
    'probe-interval': durationFlag({ summary: 'Probe every component this often (±20 % jitter).', default: parseDuration('15s'), env: 'MKT_PROBE_INTERVAL' }),
    timeout: durationFlag({ summary: 'Per-probe timeout (default defaults.timeouts.probe, 5s).', env: 'MKT_TIMEOUT' }),
    concurrency: Flags.integer({ summary: 'Probes in flight at once.', default: 64, min: 1, env: 'MKT_CONCURRENCY' }),
    'fail-on': Flags.string({ summary: '/health says ok:false on unhealthy (default) or already on degraded.', options: ['unhealthy', 'degraded'], default: 'unhealthy', env: 'MKT_FAIL_ON' }),
  }
  static override examples = [
    '<%= config.bin %> health serve',
    '<%= config.bin %> health serve --env prod --listen 0.0.0.0:9464 --probe-interval 30s',
    'curl -s localhost:9464/metrics | grep mkt_component_health',
  ]

  async run(): Promise<void> {
    const { flags } = this
    const listen = parseListen(flags.listen)
    if (!listen) throw usageError(`invalid --listen "${flags.listen}": expected host:port, e.g. 127.0.0.1:9464 or 0.0.0.0:9464`)
    if (flags['probe-interval'] < 1000) throw usageError(`--probe-interval ${flags['probe-interval']} ms is too short: probes would load the API server; use 1s or more`)
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const options = { ...healthOptions(platform, environment, flags), probeIntervalMs: flags['probe-interval'], failOn: flags['fail-on'] as 'unhealthy' | 'degraded' }
    // It is built on Kubernetes watches; without this it would serve "region unreachable" and a healthy /health/ready.
    refuseContainerApps(environment, options.regions, '`mkt health serve`', `run \`mkt health --env ${environment.name} --json\` (the envelope GET /health serves) on a schedule instead`)
    const server = await startHealthServer(options, listen).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
        throw usageError(`cannot listen on ${flags.listen}: ${error.code === 'EADDRINUSE' ? 'the address is already in use' : error.message}`, { hints: ['Pass --listen with a free host:port (port 0 picks one).'] })
      }
      throw error
    })
    this.stopOnSignal = async () => {
      // Whatever still runs at the deadline (a stuck close, a telemetry flush) does not hold the exit.
      setTimeout(() => process.exit(0), STOP_DEADLINE_MS).unref()
      await server.close()
    }
    this.out.result(`listening on ${server.url} (environment ${environment.name}: ${options.components.length} components × ${options.regions.length} region${options.regions.length === 1 ? '' : 's'}, probes every ${flags['probe-interval'] / 1000}s)`)
    // Runs until SIGTERM/SIGINT: the signal handler stops the server and exits 0.
    await new Promise<never>(() => undefined)
  }
}
