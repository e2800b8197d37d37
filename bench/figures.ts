/** One line of bench/results/latest.json. `ratio` is value / baseline; `target` the ratio to reach (see name). */
export interface Figure {
  name: string;
  unit: string;
  value: number;
  baseline: number | null;
  ratio: number | null;
  target: number | null;
  met: boolean | null;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
/** One decimal, but three significant digits under 10: a 0.04 s sync at smoke size must not read as 0. */
const roundValue = (n: number) => (Math.abs(n) >= 10 ? round(n) : Number(n.toPrecision(3)));
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

function figure(
  name: string,
  unit: string,
  value: number,
  baseline: number | null,
  target: number | null,
  reached: (measured: number, target: number) => boolean,
): Figure {
  const ratio = baseline ? value / baseline : null;
  return {
    name,
    unit,
    value: roundValue(value),
    baseline: baseline === null ? null : roundValue(baseline),
    ratio: ratio === null ? null : round(ratio, 3),
    target,
    // Against a baseline the ratio counts; without one, the value itself.
    met: target === null ? null : reached(ratio ?? value, target),
  };
}

/** A figure whose ratio (or value, without a baseline) must be at least `min`: rates. */
export const atLeast = (
  name: string,
  unit: string,
  value: number,
  baseline: number | null,
  min: number | null,
) => figure(name, unit, value, baseline, min, (m, t) => m >= t);

/** A figure whose ratio (or value, without a baseline) must stay at or under `max`: times, memory. */
export const atMost = (
  name: string,
  unit: string,
  value: number,
  baseline: number | null,
  max: number | null,
) => figure(name, unit, value, baseline, max, (m, t) => m <= t);
