import { Args, Flags } from '@oclif/core'
import { durationFlag } from '../../../src/cli/duration-flag.js'
import { MktCommand } from '../../../src/cli/mkt-command.js'
import { regionSuffix, sandboxRegionFlag } from '../../../src/cli/sandbox-region-flag.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { resolveComponent } from '../../../src/platform/components.js'
import { addFault } from '../../../src/sandbox-cli.js'

const behaviours = ['not-ready', 'slow-ready', 'crashloop', 'image-pull-error', 'degraded', 'unhealthy', 'load']
const entries = ['database', 'servicebus', 'redis']

export default class FaultSet extends MktCommand<typeof FaultSet> {
  static override summary = "Make a component's sandbox pods misbehave (optionally only pods of one image tag)."
  static override description =
    'Exactly one behaviour. With --image-tag the fault hits only pods running that tag, which simulates a bad release: `mkt sandbox fault set catalog --image-tag 2.0.0 --not-ready`.'
  static override args = { component: Args.string({ description: 'Component (name, alias or .NET name)', required: true }) }
  static override flags = {
    'image-tag': Flags.string({ summary: 'Only pods whose image has this tag.', env: 'MKT_IMAGE_TAG', helpValue: '<tag>' }),
    'pod-annotation': Flags.string({ summary: 'Only pods with this annotation (from their template), e.g. mkt.dev/config-checksum=ab12.', env: 'MKT_POD_ANNOTATION', helpValue: 'KEY=VALUE' }),
    'new-pods-only': Flags.boolean({ summary: 'Only pods created from now on (a bad rollout of the same image).', default: false, env: 'MKT_NEW_PODS_ONLY' }),
    'not-ready': Flags.boolean({ summary: 'Pods run but never become ready (/health/ready 503).', env: 'MKT_NOT_READY', exactlyOne: behaviours }),
    'slow-ready': durationFlag({ summary: 'Pods become ready only after this long.', env: 'MKT_SLOW_READY', exactlyOne: behaviours }),
    crashloop: Flags.boolean({ summary: 'Containers crash and restart with back-off (CrashLoopBackOff).', env: 'MKT_CRASHLOOP', exactlyOne: behaviours }),
    'image-pull-error': Flags.boolean({ summary: 'The image cannot be pulled (ErrImagePull, ImagePullBackOff).', env: 'MKT_IMAGE_PULL_ERROR', exactlyOne: behaviours }),
    degraded: Flags.string({ summary: 'A health entry reports Degraded.', options: entries, env: 'MKT_DEGRADED', exactlyOne: behaviours }),
    unhealthy: Flags.string({ summary: 'A health entry reports Unhealthy (ready answers 503).', options: entries, env: 'MKT_UNHEALTHY', exactlyOne: behaviours }),
    'http-status': Flags.integer({
      summary: 'The health endpoints answer with this HTTP status whatever the report says (e.g. 200 with an Unhealthy body, as an app whose ResultStatusCodes map Unhealthy to 200).',
      min: 200,
      max: 599,
      env: 'MKT_HTTP_STATUS',
      helpValue: '<code>',
    }),
    region: sandboxRegionFlag,
    load: Flags.integer({
      summary: "Raise the CPU demand to this % of the pods' request at the HPA's minimum replicas (the HPA scales up; 1000 holds it at its max).",
      min: 1,
      max: 100_000,
      env: 'MKT_LOAD',
      helpValue: '<percent>',
      exactlyOne: behaviours,
    }),
  }
  static override examples = [
    '<%= config.bin %> sandbox fault set catalog --image-tag 2.0.0 --not-ready',
    '<%= config.bin %> sandbox fault set search --crashloop',
    '<%= config.bin %> sandbox fault set pricing --unhealthy database',
    '<%= config.bin %> sandbox fault set pricing --image-tag 2.0.0 --unhealthy database --http-status 200',
    '<%= config.bin %> sandbox fault set catalog --load 1000',
    '<%= config.bin %> sandbox fault set catalog --image-tag 2.0.0 --not-ready --region northeurope',
  ]

  async run(): Promise<ResultOf<'sandbox fault set'>> {
    const { platform } = await this.platform()
    const component = resolveComponent(platform, this.args.component)
    const f = this.flags
    const [kind, extra] = f['not-ready']
      ? ['not-ready', {}]
      : f['slow-ready'] !== undefined
        ? ['slow-ready', { durationMs: f['slow-ready'] }]
        : f.crashloop
          ? ['crashloop', {}]
          : f['image-pull-error']
            ? ['image-pull-error', {}]
            : f.degraded
              ? ['degraded', { entry: f.degraded }]
              : f.load !== undefined
                ? ['load', { cpuPercent: f.load }]
                : ['unhealthy', { entry: f.unhealthy }]
    const fault = await addFault(platform, { type: 'pod', component: component.name, kind, ...(f['image-tag'] ? { imageTag: f['image-tag'] } : {}), ...(f['new-pods-only'] ? { newPodsOnly: true } : {}), ...(f['pod-annotation'] ? { podAnnotation: f['pod-annotation'] } : {}), ...(f['http-status'] === undefined ? {} : { httpStatus: f['http-status'] }), ...extra }, f.region)
    this.out.result(`Fault ${fault.id}: ${component.name}${f['image-tag'] ? `:${f['image-tag']}` : ''} ${kind}. Undo: mkt sandbox fault clear ${fault.id}${regionSuffix(f.region)}`)
    return { fault }
  }
}
