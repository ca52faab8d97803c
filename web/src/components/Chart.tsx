/**
 * A uPlot chart (canvas: thousands of points stay cheap) that answers a click with the index of the point or bar
 * under the cursor, so a page can open the runs behind it. Two kinds: `time` (x in seconds, one line per series)
 * and `bars` (x is a category index, labelled with `categories`; series overlap, largest first).
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './charts.css';

export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
}

interface ChartProps {
  title: string;
  kind: 'time' | 'bars';
  /** Seconds since the epoch for `time`; ignored for `bars` (the index is the x). */
  x?: number[];
  categories?: string[];
  series: ChartSeries[];
  /** How the y values read in the legend (e.g. "12.5 s"). */
  format?: (value: number) => string;
  /** The y axis's title, when its ticks are plain numbers of a unit (e.g. "seconds"). */
  yLabel?: string;
  /** What the categories are, in the legend (e.g. "Node"). */
  categoryLabel?: string;
  onPick?: (index: number) => void;
  height?: number;
}

const barPaths = uPlot.paths.bars!({ size: [0.6, 80] });

/** Long names (an approver's email) would run into their neighbours under a bar. */
const short = (text: string) => (text.length > 22 ? `${text.slice(0, 21)}…` : text);

export function Chart(props: ChartProps) {
  const { title, kind, x, categories = [], series, format, yLabel, categoryLabel = 'of', onPick, height = 220 } = props;
  const holder = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  const dataKey = JSON.stringify([kind, x, categories, series]);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const xs = kind === 'time' ? (x ?? []) : categories.map((_, i) => i);
    const show = (v: number | null) => (v === null || v === undefined ? '—' : format ? format(v) : String(v));
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth || 600),
      height,
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Bars and counts grow from zero, so their heights compare.
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        ...(kind === 'bars' ? { x: { time: false, range: [-0.5, Math.max(0.5, xs.length - 0.5)] } } : {}),
      },
      axes: [
        kind === 'bars'
          ? {
              values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? short(categories[t] ?? '') : '')),
              gap: 6,
            }
          : {},
        { size: 60, ...(yLabel ? { label: yLabel } : {}) },
      ],
      series: [
        kind === 'bars' ? { label: categoryLabel, value: (_u, v) => categories[v] ?? '' } : {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: kind === 'bars' ? `${s.color}cc` : undefined,
          width: kind === 'bars' ? 0 : 2,
          points: { show: kind === 'time' },
          value: (_u: uPlot, v: number | null) => show(v),
          ...(kind === 'bars' ? { paths: barPaths } : {}),
        })),
      ],
    };
    const data = [xs, ...series.map((s) => s.values)] as uPlot.AlignedData;
    const chart = new uPlot(options, data, element);
    const clicked = () => {
      const index = chart.cursor.idx;
      if (index !== null && index !== undefined) pick.current?.(index);
    };
    chart.over.addEventListener('click', clicked);
    chart.over.style.cursor = onPick ? 'pointer' : 'default';
    return () => {
      chart.over.removeEventListener('click', clicked);
      chart.destroy();
    };
  }, [dataKey, height]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} role="img" aria-label={title} />
    </figure>
  );
}
