import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import '../../src/metrics/collectors.js';
import { registry } from '../../src/metrics/metrics.js';

/**
 * The example alert rules and the Grafana dashboard in docker/ speak of metrics the processes export, by their
 * exported names (a renamed metric would leave an alert that never fires), and docs/operations.md lists each one.
 */
const exported = new Set(registry.getMetricsAsArray().map((m) => m.name));
// A histogram is exported as its _bucket, _sum and _count series; a counter keeps its _total name.
const known = (name: string) =>
  exported.has(name) || exported.has(name.replace(/_(bucket|sum|count)$/, '')) || name === 'up';
const metricNames = (expr: string) => [...expr.matchAll(/\b(credbridge_[a-z0-9_]+|up)\b/g)].map((m) => m[1]!);

describe('the example monitoring', () => {
  it('alerts only on exported metrics', () => {
    const rules = parse(readFileSync('docker/prometheus-alerts.yml', 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    const unknown = alerts.flatMap((a) =>
      metricNames(a.expr)
        .filter((n) => !known(n))
        .map((n) => `${a.alert}: ${n}`),
    );
    expect(unknown).toEqual([]);
    const docs = readFileSync('docs/operations.md', 'utf8');
    expect(alerts.filter((a) => !docs.includes(`\`${a.alert}\``)).map((a) => a.alert)).toEqual([]);
  });

  it('charts only exported metrics, and the docs list every metric the processes export', () => {
    const dashboard = JSON.parse(readFileSync('docker/grafana-dashboard.json', 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const unknown = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        metricNames(t.expr)
          .filter((n) => !known(n))
          .map((n) => `${p.title}: ${n}`),
      ),
    );
    expect(unknown).toEqual([]);
    const docs = readFileSync('docs/operations.md', 'utf8');
    const own = [...exported].filter((n) => !/^credbridge_(process|nodejs)_/.test(n));
    expect(own.length).toBeGreaterThanOrEqual(10);
    expect(own.filter((n) => !docs.includes(`\`${n}\``))).toEqual([]);
  });
});
