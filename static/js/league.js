// The league table (league.html): sortable columns, a branch filter and the print button, all from data-
// attributes (the Content Security Policy allows no inline script). Rows keep their rank marks when sorted.
(function () {
  "use strict";
  var table = document.getElementById("league");
  if (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) return;
      th.classList.add("sortable");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { if (h.hasAttribute("data-sort")) h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var cell = row.cells[index];
          // An indicator's cell sorts by its points, the text of its link (a row's ~1,700 cells carry no copy).
          var link = cell && !cell.hasAttribute("data-value") ? cell.querySelector("a.cell") : null;
          var value = link ? link.textContent.replace(/[^0-9.\-]/g, "") : cell ? cell.getAttribute("data-value") : "";
          if (kind === "num") { return value === null || value === "" ? NaN : Number(value); }
          return value || "";
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (kind === "num") {
            if (isNaN(x) && isNaN(y)) return 0;
            if (isNaN(x)) return 1;  // cells not shown go last whichever the direction
            if (isNaN(y)) return -1;
            return ascending ? x - y : y - x;
          }
          return ascending ? x.localeCompare(y, "zh") : y.localeCompare(x, "zh");
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); } });
    });
  }
  var filter = document.querySelector("[data-league-filter]");
  if (filter) {
    filter.addEventListener("input", function () {
      var text = filter.value.trim();
      document.querySelectorAll(filter.getAttribute("data-league-filter")).forEach(function (container) {
        container.querySelectorAll("[data-name]").forEach(function (item) {
          var match = !text || item.getAttribute("data-name").indexOf(text) >= 0 || item.getAttribute("data-branch").indexOf(text.toLowerCase()) >= 0;
          item.classList.toggle("d-none", !match);
        });
      });
    });
  }
  // A cell's points open its explanation in the page's dialog; the link's own address still works (a new tab,
  // no script). One listener for the table instead of htmx attributes on each of its ~1,700 cells.
  var dialog = document.getElementById("explain");
  if (table && dialog) {
    table.addEventListener("click", function (event) {
      var link = event.target.closest("a.cell");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      window.htmx.ajax("GET", link.getAttribute("href"), { target: "#explain-body" });
      window.bootstrap.Modal.getOrCreateInstance(dialog).show();
    });
  }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
