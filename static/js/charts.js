// SPDX-License-Identifier: MIT
/**
 * Draw an Aiser chart option (built by chat2chart/charts) into a container.
 *
 * Options from the server are plain JSON. This module adds the behaviour JSON cannot carry:
 * number-format functions for axes, labels and tooltips, the ECharts theme, resizing with the
 * container, HTML tables for table/pivot types (built with textContent, never innerHTML) and a
 * "Download CSV" button whose cells are escaped against spreadsheet formula injection.
 * ECharts itself is the global `echarts` from static/vendor/echarts/echarts.min.js.
 */

const NUMBER_FORMAT = /^([$€£]?)0(,0)?(?:\.(0+))?([%a]?)$/;
const COMPACT = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
const FORMULA_START = /^[=+\-@\t\r]/;

const EN_US = { tag: "en-US", group: ",", decimal: ".", percentSpace: "", currencyFirst: true, currencySpace: "" };
const CURRENCY_SIGNS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥" };
const SIGN_CODES = { $: "USD", "€": "EUR", "£": "GBP" };
const NBSP = "\u00a0";

/**
 * Format a number with the same pattern set and locale rules as builders/formats.py `format_number`
 * (e.g. "0,0.00", "0.0%", "$0,0", "0.0a"). `locale` is the option's `aiser.numberLocale` (separators,
 * the space before "%", where a currency goes: sent by the server, never guessed here); `currency`
 * an ISO code whose sign or code is added.
 */
export function formatNumber(value, pattern, { locale = EN_US, currency = null } = {}) {
  if (value === null || value === undefined || value === "" || !Number.isFinite(Number(value))) {
    return value === null || value === undefined ? "–" : String(value);
  }
  let number = Number(value);
  const match = NUMBER_FORMAT.exec(pattern || (Number.isInteger(number) ? "0,0" : "0,0.00"));
  if (!match) return String(value);
  const [, sign, group, decimals = "", suffix] = match;
  const conventions = { ...EN_US, ...(locale || {}) };
  let unit = "";
  if (suffix === "%") {
    number *= 100;
    unit = `${conventions.percentSpace}%`;
  } else if (suffix === "a") {
    const step = COMPACT.find(([size]) => Math.abs(number) >= size);
    if (step) {
      number /= step[0];
      unit = step[1];
    }
  }
  // Digits and grouping as en-US writes them, then this locale's marks in place of "," and ".".
  const english = Math.abs(number).toLocaleString("en-US", {
    minimumFractionDigits: decimals.length,
    maximumFractionDigits: decimals.length,
    useGrouping: Boolean(group),
  });
  const negative = number < 0 && Number(english.replace(/,/g, "")) !== 0;
  let text = english.replace(/[,.]/g, (mark) => (mark === "," ? conventions.group : conventions.decimal)) + unit;
  const code = currency || SIGN_CODES[sign] || "";
  if (code) {
    const symbol = CURRENCY_SIGNS[code] || code;
    const space = conventions.currencySpace || (symbol === code ? NBSP : "");
    text = conventions.currencyFirst ? `${symbol}${space}${text}` : `${text}${space || NBSP}${symbol}`;
  }
  return negative ? `-${text}` : text;
}

/** One CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe. */
export function csvCell(value) {
  if (value === null || value === undefined) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV text from a query result ({columns: [{name}], rows: [[...]]}). */
export function toCsv(data) {
  const header = data.columns.map((column) => csvCell(column.name));
  const lines = [header.join(",")];
  for (const row of data.rows) lines.push(row.map(csvCell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function fileName(option) {
  const feature = option.toolbox?.feature?.saveAsImage;
  return (feature?.name || "chart").replace(/[^a-z0-9-]+/gi, "-");
}

function dataForCsv(option, data) {
  if (data && Array.isArray(data.columns) && Array.isArray(data.rows)) return data;
  const dataset = option.dataset;
  if (dataset && Array.isArray(dataset.source)) {
    return { columns: (dataset.dimensions || []).map((name) => ({ name })), rows: dataset.source };
  }
  return null;
}

function csvButton(option, data) {
  const button = document.createElement("button");
  button.type = "button";
  // The product's secondary button (static/css/aiser.css), like every other action on the page.
  button.className = "button secondary aiser-chart__csv";
  button.textContent = "Download CSV";
  button.addEventListener("click", () => {
    const blob = new Blob(["\ufeff", toCsv(data)], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${fileName(option)}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  return button;
}

/** Without a title line, the plot moves up into the room the option kept for it. */
function lowerTitleRoom(option) {
  for (const grid of asList(option.grid)) {
    if (typeof grid.top === "number") grid.top = Math.max(40, grid.top - 22);
  }
}

function asList(value) {
  if (!value) return [];
  return Array.isArray(value) ? value : [value];
}

/** Install number-format functions where the option left formatting to us. */
function withFormatters(option, meta) {
  const pattern = meta.numberFormat;
  const settings = { locale: meta.numberLocale, currency: meta.currency };
  for (const series of asList(option.series)) {
    // Dial labels of big numbers read better compact (1.2M), whatever the value's own format.
    if (series.type === "gauge" && !series.axisLabel?.formatter && Number(series.max) >= 10000) {
      series.axisLabel = { ...series.axisLabel, formatter: (value) => formatNumber(value, "0.0a", settings) };
    }
  }
  const format = (value) => formatNumber(value, pattern, settings);
  for (const series of asList(option.series)) {
    // Treemap tiles show their values, in the chart's format (the option carries "{b}\n{c}").
    if (series.type === "treemap") {
      series.label = { ...series.label, formatter: (params) => `${params.name}\n${format(params.value)}` };
      series.upperLabel = { ...series.upperLabel, formatter: (params) => `${params.name}: ${format(params.value)}` };
    }
  }
  if (!pattern && !meta.numberLocale) return option;
  for (const key of ["xAxis", "yAxis", "radiusAxis"]) {
    for (const axis of asList(option[key])) {
      if ((axis.type === "value" || axis.type === "log") && !axis.axisLabel?.formatter) {
        axis.axisLabel = { ...axis.axisLabel, formatter: format };
      }
    }
  }
  if (option.tooltip) option.tooltip.valueFormatter = (value) => (Array.isArray(value) ? value.map(format).join(", ") : format(value));
  for (const series of asList(option.series)) {
    if (series.label?.show && !series.label.formatter && ["bar", "line", "pictorialBar"].includes(series.type)) {
      series.label.formatter = (params) => format(Array.isArray(params.value) ? params.value.at(-1) : params.value);
    }
  }
  return option;
}

/**
 * ECharts' locale for the organisation's locale tag ("de-DE"): month and weekday names on time axes
 * and in tooltips, written by the browser's CLDR data (`Intl.DateTimeFormat`). ECharts merges an
 * object locale with its English one, so its other strings (aria, toolbox) stay whole. English tags
 * keep ECharts' own "EN".
 */
export function timeLocale(tag) {
  if (!tag || tag.toLowerCase().startsWith("en")) return "EN";
  const names = (options, dates) =>
    dates.map((date) => new Intl.DateTimeFormat(tag, { ...options, timeZone: "UTC" }).format(date));
  const months = Array.from({ length: 12 }, (_, month) => new Date(Date.UTC(2024, month, 1)));
  // 7 January 2024 was a Sunday: ECharts' weekday lists start on Sunday.
  const days = Array.from({ length: 7 }, (_, day) => new Date(Date.UTC(2024, 0, 7 + day)));
  try {
    return {
      time: {
        month: names({ month: "long" }, months),
        monthAbbr: names({ month: "short" }, months),
        dayOfWeek: names({ weekday: "long" }, days),
        dayOfWeekAbbr: names({ weekday: "short" }, days),
      },
    };
  } catch {
    return "EN"; // a tag the browser does not know
  }
}

const LABEL_FONT = "12px sans-serif";
let measuringCanvas = null;

function textWidth(text) {
  measuringCanvas ||= document.createElement("canvas");
  const context = measuringCanvas.getContext("2d");
  context.font = LABEL_FONT;
  return context.measureText(String(text)).width;
}

/**
 * Category labels under columns that would not fit side by side (a phone is 390 px wide) are
 * turned 45° and cut to a width with an ellipsis; the axis tooltip still names the whole category.
 * Recomputed whenever the chart's width changes. Returns the xAxis update, or null when none.
 */
export function fitCategoryLabels(option, width) {
  const axes = asList(option.xAxis);
  if (!axes.length || axes.every((axis) => axis.type !== "category")) return null;
  const update = axes.map((axis) => {
    if (axis.type !== "category" || !Array.isArray(axis.data) || !axis.data.length || axis.show === false) return {};
    const room = Math.max(24, (width - 80) / axis.data.length);
    const widest = Math.max(...axis.data.map((label) => textWidth(label)));
    if (widest + 8 <= room) return { nameGap: 28, axisLabel: { rotate: 0, width: Math.max(room, 40) } };
    const cut = Math.min(110, Math.max(56, width * 0.28));
    // The axis title goes below the turned labels (their height is about the cut width x sin 45°).
    const nameGap = Math.round(Math.min(cut, widest) * 0.71) + 20;
    // Rotated labels need about a line's height each; beyond that ECharts thins them (interval auto).
    const thin = room < 16 ? { interval: "auto" } : {};
    return { nameGap, axisLabel: { rotate: 45, width: cut, overflow: "truncate", ellipsis: "…", hideOverlap: true, ...thin } };
  });
  return update;
}

function renderTable(body, option, meta) {
  const table = document.createElement("table");
  table.className = `aiser-table aiser-table--${meta.kind}`;
  table.style.borderCollapse = "collapse";
  table.style.width = "100%";
  const title = meta.showTitle === false ? "" : option.title?.text;
  if (title) {
    const caption = document.createElement("caption");
    caption.textContent = title;
    table.append(caption);
  }
  const columns = meta.columns || (option.dataset.dimensions || []).map((name) => ({ name, type: "text" }));
  const numeric = columns.map((column) => column.type === "integer" || column.type === "decimal");
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = column.name;
    head.append(cell);
  }
  const tbody = table.createTBody();
  for (const row of option.dataset.source || []) {
    const tr = tbody.insertRow();
    row.forEach((value, index) => {
      const rowHeader = meta.kind === "pivot" && index === 0;
      const cell = document.createElement(rowHeader ? "th" : "td");
      if (rowHeader) cell.scope = "row";
      // A column's own look (sent by the server for tables: its model format) over the chart-wide one.
      const own = columns[index] || {};
      const pattern = own.numberFormat !== undefined ? own.numberFormat : meta.numberFormat;
      const settings = { locale: meta.numberLocale, currency: own.currency !== undefined ? own.currency : meta.currency };
      cell.textContent = numeric[index] && typeof value === "number" ? formatNumber(value, pattern, settings) : (value ?? "");
      if (numeric[index]) {
        cell.className = "num";
        cell.style.textAlign = "right";
      }
      tr.append(cell);
    });
  }
  const note = option.title?.subtext;
  if (note) {
    const p = document.createElement("p");
    p.className = "aiser-chart__note";
    p.textContent = note;
    body.append(p);
  }
  body.append(table);
}

/**
 * Render `option` into `container`. Returns {chart, dispose}; `chart` is the ECharts instance
 * (null for tables). `data` (the query result) feeds the CSV download; tables fall back to their dataset.
 * `showTitle: false` leaves the chart's own title out where the page or card already shows it as a
 * heading (its notes, such as "Top 10 of 40", stay).
 */
export function renderChart(container, option, { data = null, echarts = globalThis.echarts, showTitle = true } = {}) {
  const meta = { ...(option.aiser || {}), showTitle };
  const prepared = structuredClone(option);
  delete prepared.aiser;
  if (!showTitle && prepared.title) {
    prepared.title = { ...prepared.title, text: "" };
    if (!prepared.title.subtext) lowerTitleRoom(prepared);
  }
  container.replaceChildren();
  container.classList.add("aiser-chart");
  // A column: the actions row on top, the chart taking the rest of the container's height.
  container.style.display = "flex";
  container.style.flexDirection = "column";
  const body = document.createElement("div");
  body.className = "aiser-chart__body";
  const csvData = dataForCsv(option, data);
  if (csvData) {
    const bar = document.createElement("div");
    bar.className = "aiser-chart__actions";
    bar.style.flex = "0 0 auto";
    bar.append(csvButton(option, csvData));
    container.append(bar);
  }
  container.append(body);

  if (meta.kind === "table" || meta.kind === "pivot") {
    renderTable(body, prepared, meta);
    return { chart: null, dispose: () => container.replaceChildren() };
  }
  if (!echarts) throw new Error("ECharts is not loaded: include static/vendor/echarts/echarts.min.js first.");
  body.style.flex = "1 1 auto";
  body.style.minHeight = "240px";
  const chart = echarts.init(body, meta.theme === "dark" ? "dark" : null, {
    renderer: "canvas",
    locale: timeLocale(meta.numberLocale?.tag),
  });
  chart.setOption(withFormatters(prepared, meta));
  let fittedWidth = 0;
  const fitLabels = () => {
    const width = body.clientWidth;
    if (!width || width === fittedWidth) return;
    fittedWidth = width;
    const xAxis = fitCategoryLabels(prepared, width);
    // A note under the title ("Top 10 of 40 …") wraps instead of running off a narrow chart.
    const title = prepared.title?.subtext ? { subtextStyle: { width: Math.max(120, width - 72), overflow: "break" } } : null;
    if (xAxis || title) chart.setOption({ ...(xAxis ? { xAxis } : {}), ...(title ? { title } : {}) });
  };
  fitLabels();
  const observer = new ResizeObserver(() => {
    chart.resize();
    fitLabels();
  });
  observer.observe(container);
  return {
    chart,
    dispose() {
      observer.disconnect();
      chart.dispose();
      container.replaceChildren();
    },
  };
}
