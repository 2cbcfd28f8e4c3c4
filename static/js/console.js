// SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
/**
 * The platform console's charts: questions and queries per day (home), an organisation's usage per
 * day and per month (its page). Series come ready from the server (json_script "console-chart-config");
 * ECharts is the global `echarts` from static/vendor/echarts/echarts.min.js.
 */
const config = JSON.parse(document.getElementById("console-chart-config").textContent);

const NAMES = {
  questions: "Questions",
  queries: "Queries",
  question_asked: "Questions",
  query_run: "Queries",
  llm_tokens: "Model tokens",
  rows_ingested: "Rows ingested",
};

function draw(elementId, categories, series, kind) {
  const element = document.getElementById(elementId);
  if (!element) return;
  // Tokens and rows dwarf questions: they get their own axis on the right.
  const large = new Set(["llm_tokens", "rows_ingested"]);
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 50, right: 60, top: 36, bottom: 30 },
    xAxis: { type: "category", data: categories },
    yAxis: [
      { type: "value", minInterval: 1 },
      { type: "value", minInterval: 1, splitLine: { show: false } },
    ],
    series: Object.entries(series).map(([name, data]) => ({
      name: NAMES[name] || name,
      type: kind,
      data,
      yAxisIndex: large.has(name) ? 1 : 0,
    })),
  });
  window.addEventListener("resize", () => chart.resize());
}

if (config.monthly) {
  draw("console-daily-chart", config.days, config.daily, "line");
  draw("console-monthly-chart", config.months, config.monthly, "bar");
} else {
  draw("console-daily-chart", config.days, { questions: config.questions, queries: config.queries }, "line");
}
