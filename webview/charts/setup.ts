// Chart.js with only what the line and scatter charts use (tree-shaken), the zoom plugin, and a plugin that paints
// the theme background so exported PNGs are readable outside the editor.
import {
  Chart,
  type ChartType,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  type Plugin,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';

export interface BackgroundOptions {
  color?: string;
}

const background: Plugin<ChartType, BackgroundOptions> = {
  id: 'wdBackground',
  beforeDraw(chart, _args, options) {
    if (!options.color) return;
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = options.color;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

declare module 'chart.js' {
  interface PluginOptionsByType<TType extends ChartType> {
    wdBackground?: BackgroundOptions;
  }
}

let registered = false;

export function registerChartJs(): void {
  if (registered) return;
  registered = true;
  Chart.register(
    LineController,
    ScatterController,
    LineElement,
    PointElement,
    LinearScale,
    LogarithmicScale,
    Filler,
    Tooltip,
    zoomPlugin,
    background,
  );
}

export { Chart };
