// The shape parse-prometheus-text-format returns (prom2json's), for the /metrics tests.
declare module 'parse-prometheus-text-format' {
  export interface MetricFamily {
    name: string
    help: string
    type: 'GAUGE' | 'COUNTER' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[]
}
