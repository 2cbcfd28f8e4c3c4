// SPDX-License-Identifier: MIT
/**
 * A textarea with a line-number gutter and, beside each line, the validation problems the server
 * found on it (line, cube, member and field come from the API; nothing is re-checked here).
 */

/** Attach line numbers and problem notes to the editor's textarea; returns {setProblems, focusLine}. */
export function yamlEditor({ text, lines, notes, list }) {
  let problems = [];

  function lineCount() {
    return text.value.split("\n").length;
  }

  function byLine() {
    const found = new Map();
    for (const problem of problems) {
      if (!problem.line) continue;
      found.set(problem.line, [...(found.get(problem.line) || []), problem]);
    }
    return found;
  }

  function paint() {
    const marked = byLine();
    const numbers = [];
    const beside = [];
    for (let n = 1; n <= lineCount(); n += 1) {
      const here = marked.get(n);
      if (here) {
        const span = document.createElement("span");
        span.className = "bad";
        span.textContent = String(n);
        numbers.push(span, "\n");
        beside.push(here.map(describe).join("; "), "\n");
      } else {
        numbers.push(`${n}\n`);
        beside.push("\n");
      }
    }
    lines.replaceChildren(...numbers);
    notes.replaceChildren(...beside);
    sync();
  }

  function sync() {
    lines.scrollTop = text.scrollTop;
    notes.scrollTop = text.scrollTop;
  }

  function focusLine(line) {
    const before = text.value.split("\n").slice(0, line - 1).join("\n").length;
    const start = line > 1 ? before + 1 : 0;
    const end = text.value.indexOf("\n", start);
    text.focus();
    text.setSelectionRange(start, end === -1 ? text.value.length : end);
    const height = parseFloat(getComputedStyle(text).lineHeight) || 18;
    text.scrollTop = Math.max(0, (line - 3) * height);
    sync();
  }

  function setProblems(found) {
    problems = found || [];
    paint();
    list.replaceChildren(
      ...problems.map((problem) => {
        const li = document.createElement("li");
        if (problem.line) {
          const go = document.createElement("button");
          go.type = "button";
          go.textContent = `Line ${problem.line}`;
          go.addEventListener("click", () => focusLine(problem.line));
          li.append(go, `: ${describe(problem)}`);
        } else {
          li.textContent = describe(problem);
        }
        return li;
      }),
    );
  }

  text.addEventListener("scroll", sync);
  text.addEventListener("input", paint);
  text.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault(); // two spaces, as YAML wants; Escape then Tab leaves the editor
    text.setRangeText("  ", text.selectionStart, text.selectionEnd, "end");
    paint();
  });
  text.addEventListener("keyup", (event) => {
    if (event.key === "Escape") text.blur();
  });
  paint();
  return { setProblems, focusLine };
}

/** "orders.margin.type: Input should be ..." — where first, then the server's message. */
export function describe(problem) {
  const where = [problem.cube, problem.member, problem.field].filter(Boolean).join(".");
  return where ? `${where}: ${problem.message}` : problem.message;
}
