// SPDX-License-Identifier: MIT
/**
 * The chart gallery page: draws every example from the #gallery-data JSON into its
 * <figure data-chart-type="…">, and marks each figure data-rendered="ok" or "error" so a browser
 * test can tell which types drew.
 */
import { renderChart } from "./charts.js";

export function renderGallery(root = document) {
  const source = root.getElementById ? root.getElementById("gallery-data") : document.getElementById("gallery-data");
  const examples = JSON.parse(source.textContent);
  const byType = new Map(examples.map((example) => [example.type, example]));
  for (const figure of root.querySelectorAll("figure[data-chart-type]")) {
    const example = byType.get(figure.dataset.chartType);
    const target = figure.querySelector(".gallery__chart");
    if (!example || !target) continue;
    try {
      renderChart(target, example.option, { data: example.data });
      figure.dataset.rendered = "ok";
    } catch (error) {
      figure.dataset.rendered = "error";
      console.error(`Chart ${example.type} failed`, error);
    }
  }
}

renderGallery();
