// The OpenTelemetry SDK behind src/telemetry/index.ts, imported only when traces were asked for. The
// exporter reads the standard variables itself (endpoint, headers, timeout, compression).
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { safeAttributes, type Attributes, type SpanHandle, type Telemetry } from './index.js'

/** A command must not hang on a collector that is down: give the export this long, then exit anyway. */
const SHUTDOWN_BUDGET_MS = 3000

export function startOtelTelemetry(command: string, version: string): Telemetry {
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'mkt', 'service.version': version }),
  )
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] })
  const tracer = provider.getTracer('mkt', version)

  const handle = (span: Span): SpanHandle => ({
    setAttributes: (attributes) => span.setAttributes(safeAttributes(attributes)),
    addEvent: (name, attributes: Attributes = {}) => span.addEvent(name, safeAttributes(attributes)),
    child: (name, attributes = {}, startTime) =>
      handle(tracer.startSpan(name, { attributes: safeAttributes(attributes), ...(startTime === undefined ? {} : { startTime }) }, trace.setSpan(context.active(), span))),
    end: (options = {}) => {
      if (options.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: safeAttributes({ m: options.error }).m as string })
      span.end(options.endTime)
    },
  })

  const rootSpan = tracer.startSpan(`mkt ${command}`, { attributes: { 'mkt.command': command } })
  return {
    enabled: true,
    root: handle(rootSpan),
    async shutdown(exitCode, error) {
      rootSpan.setAttribute('mkt.exit_code', exitCode)
      if (exitCode !== 0) rootSpan.setStatus({ code: SpanStatusCode.ERROR, ...(error ? { message: safeAttributes({ m: error }).m as string } : {}) })
      rootSpan.end()
      let timer: NodeJS.Timeout | undefined
      await Promise.race([provider.shutdown().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_BUDGET_MS)))])
      clearTimeout(timer)
    },
  }
}
