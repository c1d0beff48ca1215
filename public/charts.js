// Draws every `.echart` element's ECharts option (JSON in `data-option`, built on the server)
// once the WebAssembly app has hydrated the page (the root gets `data-hydrated`), and again
// whenever an option changes or a chart element appears (client-side navigation). Charts
// follow the container's size and the colour scheme (the system's, or the one chosen in the
// header), and are disposed of when removed.
(() => {
  "use strict";
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  // The theme chosen in the header (`public/theme.js`) wins over the system's.
  const isDark = () => {
    const chosen = document.documentElement.getAttribute("data-theme");
    return chosen ? chosen === "dark" : dark.matches;
  };
  const drawn = new WeakMap(); // element -> option text it shows

  // Numbers as people read them: no decimals from 100 up, one from 10, two from 1, three
  // below; thousands grouped.
  const number = (v) => {
    const a = Math.abs(v);
    const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return v.toLocaleString("en-GB", { maximumFractionDigits: digits });
  };
  const escape = (text) =>
    String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const valueOf = (p) => (Array.isArray(p.value) ? p.value[1] : p.value);

  // The axis tooltip: each series' value, rounded; a forecast band (series `band-lower` and
  // `band-width`, stacked) as one line "95 % interval low – high" instead of its two parts.
  function axisTooltip(params) {
    const list = Array.isArray(params) ? params : [params];
    if (list.length === 0) return "";
    // The time to the minute (readings are minutes apart).
    const lines = [escape(String(list[0].axisValueLabel ?? "").replace(/(\d\d:\d\d):00$/, "$1"))];
    const lower = list.find((p) => p.seriesId === "band-lower");
    for (const p of list) {
      const v = valueOf(p);
      if (p.seriesId === "band-lower" || v == null || !Number.isFinite(Number(v))) continue;
      if (p.seriesId === "band-width") {
        const low = lower ? Number(valueOf(lower)) : NaN;
        if (!Number.isFinite(low)) continue;
        lines.push(`${p.marker}${escape(p.seriesName)} <b>${number(low)} – ${number(low + Number(v))}</b>`);
        continue;
      }
      lines.push(`${p.marker}${escape(p.seriesName)} <b>${number(Number(v))}</b>`);
    }
    return lines.join("<br>");
  }

  function draw(el) {
    if (!window.echarts) return;
    const text = el.getAttribute("data-option");
    if (!text) return;
    if (drawn.get(el) === text) {
      // Drawn already; a view rendered again may have reset the element's classes, which
      // would fold the chart to no height.
      if (!el.classList.contains("ready")) {
        el.classList.add("ready");
        window.echarts.getInstanceByDom(el)?.resize();
      }
      return;
    }
    let option;
    try {
      option = JSON.parse(text);
    } catch (e) {
      console.warn("chart option is not JSON", e);
      return;
    }
    for (const tooltip of [].concat(option.tooltip ?? [])) {
      if (tooltip.trigger === "axis") tooltip.formatter = axisTooltip;
    }
    // Give the container its size before ECharts measures it.
    el.classList.add("ready");
    const chart = window.echarts.getInstanceByDom(el)
      || window.echarts.init(el, isDark() ? "dark" : null, { renderer: "canvas" });
    chart.setOption(option, true);
    drawn.set(el, text);
  }

  function scan(root) {
    if (root.nodeType !== 1) return;
    if (root.matches(".echart[data-option]")) draw(root);
    root.querySelectorAll(".echart[data-option]").forEach(draw);
  }

  function dispose(root) {
    if (root.nodeType !== 1 || !window.echarts) return;
    const els = root.matches(".echart") ? [root] : [...root.querySelectorAll(".echart")];
    els.forEach((el) => {
      window.echarts.getInstanceByDom(el)?.dispose();
      // Forget it was drawn: the same element may come back (a view rendered again keeps
      // its nodes), and must then be drawn afresh.
      drawn.delete(el);
    });
  }

  function start() {
    scan(document.body);
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.type === "attributes" && m.target.matches(".echart")) draw(m.target);
        m.removedNodes.forEach(dispose);
        m.addedNodes.forEach(scan);
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-option", "class"],
    });
    window.addEventListener("resize", () => {
      document.querySelectorAll(".echart.ready").forEach((el) => {
        window.echarts?.getInstanceByDom(el)?.resize();
      });
    });
    const redraw = () => {
      document.querySelectorAll(".echart.ready").forEach((el) => {
        window.echarts?.getInstanceByDom(el)?.dispose();
        drawn.delete(el);
        draw(el);
      });
    };
    dark.addEventListener("change", redraw);
    new MutationObserver(redraw).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
  }

  const root = document.documentElement;
  if (root.hasAttribute("data-hydrated")) {
    start();
  } else {
    new MutationObserver((_, observer) => {
      if (root.hasAttribute("data-hydrated")) {
        observer.disconnect();
        start();
      }
    }).observe(root, { attributes: true, attributeFilter: ["data-hydrated"] });
  }
})();
