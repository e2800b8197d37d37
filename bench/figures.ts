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
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** A figure whose ratio must be at least `min` (a rate against a baseline rate). */
export function atLeast(
  name: string,
  unit: string,
  value: number,
  baseline: number | null,
  min: number | null,
): Figure {
  const ratio = baseline ? value / baseline : null;
  return {
    name,
    unit,
    value: round(value),
    baseline: baseline === null ? null : round(baseline),
    ratio: ratio === null ? null : round(ratio, 3),
    target: min,
    met: min === null ? null : (ratio ?? value) >= min,
  };
}

/** A figure that must stay at or under `max` (a time or memory, absolute or as a ratio to a baseline). */
export function atMost(
  name: string,
  unit: string,
  value: number,
  baseline: number | null,
  max: number | null,
): Figure {
  const ratio = baseline ? value / baseline : null;
  return {
    name,
    unit,
    value: round(value),
    baseline: baseline === null ? null : round(baseline),
    ratio: ratio === null ? null : round(ratio, 3),
    target: max,
    met: max === null ? null : (ratio ?? value) <= max,
  };
}
