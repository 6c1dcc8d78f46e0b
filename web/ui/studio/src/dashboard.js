/* The managers' dashboard charts (/manage), drawn with ECharts from the figures the page carries in
 * <script type="application/json" id="dashboard-data"> (the same answer as GET /api/v1/manage/dashboard).
 * Bundled by esbuild with the studio (web/ui/studio/build.mjs → web/ui/static/build/dashboard.js). */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, DatasetComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, DatasetComponent,
  CanvasRenderer]);

const COLORS = ['#1f5fa8', '#2e8b57', '#b23b3b', '#c98a00', '#6a4c93', '#3a8fb7', '#8c6d46', '#5c6b73'];
const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

function base(extra) {
  return Object.assign({
    color: COLORS, animation: false, textStyle: { fontFamily: FONT },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 }, grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true }
  }, extra);
}

function short(text, length = 12) {
  return text && text.length > length ? text.slice(0, length) + '…' : text;
}

function named(row, many) {
  return many ? `${row.jurisdiction_name || row.jurisdiction}·${row.process_name}` : row.process_name;
}

const charts = {
  byProcess(data, many) {
    const rows = data.by_process;
    const labels = rows.map((r) => named(r, many));
    const series = [['running', '办理中'], ['completed', '已办结'], ['terminated', '已终止']].map(([key, name]) => ({
      name, type: 'bar', stack: 'total', data: rows.map((r) => r[key])
    }));
    return base({ xAxis: { type: 'value' }, yAxis: { type: 'category', data: labels, inverse: true }, series });
  },
  byPhase(data) {
    const rows = data.by_phase.filter((r) => r.running > 0).slice(0, 15);
    return base({
      xAxis: { type: 'value' },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => short(r.phase_title, 16)) },
      series: [{ name: '在办项目', type: 'bar', data: rows.map((r) => r.running) },
        { name: '其中逾期', type: 'bar', data: rows.map((r) => r.overdue) }]
    });
  },
  bureaus(data) {
    const rows = data.bureaus.slice(0, 15);
    return base({
      tooltip: {
        trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: (items) => {
          const row = rows[items[0].dataIndex];
          return `${row.role_label}<br>待办 ${row.waiting}，逾期 ${row.overdue}<br>` +
            `等待中位数 ${row.median_wait_days} 天，最长 ${row.oldest_wait_days} 天`;
        }
      },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => short(r.role_label, 10)) },
      series: [{ name: '待办', type: 'bar', data: rows.map((r) => r.waiting) },
        { name: '逾期', type: 'bar', data: rows.map((r) => r.overdue), itemStyle: { color: COLORS[2] } }]
    });
  },
  outcomes(data) {
    const totals = new Map();
    for (const r of data.outcomes) { totals.set(r.outcome_label, (totals.get(r.outcome_label) || 0) + r.count); }
    return base({
      tooltip: { trigger: 'item', formatter: '{b}：{c}（{d}%）' }, legend: { type: 'scroll', bottom: 0 },
      series: [{ type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'],
        data: [...totals].map(([name, value]) => ({ name, value })) }]
    });
  },
  durations(data, many) {
    const rows = data.phase_durations.length ? data.phase_durations : data.end_to_end;
    const label = (r) => short(r.phase_title || `${named(r, many)}（${r.status_label}）`, 16);
    return base({
      xAxis: { type: 'value', name: '天' }, yAxis: { type: 'category', inverse: true, data: rows.map(label) },
      series: [{ name: '平均', type: 'bar', data: rows.map((r) => r.avg_days) },
        { name: '90%分位', type: 'bar', data: rows.map((r) => r.p90_days) }]
    });
  },
  months(data) {
    const rows = data.months;
    return base({
      tooltip: { trigger: 'axis' }, xAxis: { type: 'category', data: rows.map((r) => r.month) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [['started', '新发起'], ['completed', '办结'], ['terminated', '终止']].map(([key, name]) => ({
        name, type: 'line', smooth: false, data: rows.map((r) => r[key])
      }))
    });
  }
};

function draw() {
  const source = document.getElementById('dashboard-data');
  if (!source) { return; }
  const data = JSON.parse(source.textContent);
  const many = data.jurisdictions.length > 1;
  const drawn = [];
  for (const node of document.querySelectorAll('[data-chart]')) {
    const make = charts[node.dataset.chart];
    if (!make) { continue; }
    const chart = echarts.init(node, null, { renderer: 'canvas' });
    chart.setOption(make(data, many));
    node.dataset.drawn = 'true';
    drawn.push(chart);
  }
  window.addEventListener('resize', () => drawn.forEach((c) => c.resize()));
  document.body.dataset.chartsReady = 'true';
}

if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', draw); } else { draw(); }
