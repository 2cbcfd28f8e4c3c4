// SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
/**
 * The usage page: this month's metered usage by day (bars) and by person (horizontal bars), drawn with
 * ECharts from the JSON the page carries. The tables beside them hold the same numbers as text.
 */
const charts = JSON.parse(document.getElementById("usage-data").textContent);

for (const [event, chart] of Object.entries(charts)) {
  const byDay = document.querySelector(`[data-usage-days="${event}"]`);
  window.echarts.init(byDay).setOption({
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: chart.days.map(([day]) => day.slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", name: chart.label, data: chart.days.map(([, count]) => count) }],
  });
  const byPerson = document.querySelector(`[data-usage-people="${event}"]`);
  window.echarts.init(byPerson).setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 160 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: chart.people.map(([person]) => person) },
    series: [{ type: "bar", name: chart.label, data: chart.people.map(([, count]) => count) }],
  });
}
