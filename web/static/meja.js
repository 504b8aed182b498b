// meja: small progressive enhancements. Every page works without this script.
(function () {
  "use strict";

  // Knowledge-base suggestions while a citizen describes the problem (SPEC 7).
  function suggestions() {
    var box = document.querySelector("[data-kb-suggest]");
    if (!box) return;
    var fields = document.querySelectorAll("[data-kb-source]");
    var list = box.querySelector("ul");
    var timer = null, last = "";
    function query() {
      var text = Array.prototype.map.call(fields, function (f) { return f.value; }).join(" ").trim();
      var words = text.split(/\s+/).filter(function (w) { return w.length > 3; }).slice(0, 8).join(" ");
      if (words === last) return;
      last = words;
      if (words.length < 4) { box.hidden = true; return; }
      fetch("/api/v1/public/kb?q=" + encodeURIComponent(words) + "&limit=3", { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) {
          var items = data.items || [];
          list.textContent = "";
          items.slice(0, 3).forEach(function (a) {
            var li = document.createElement("li");
            var link = document.createElement("a");
            link.href = "/bantuan/" + encodeURIComponent(a.slug);
            link.target = "_blank";
            link.rel = "noopener";
            link.textContent = a.title;
            li.appendChild(link);
            list.appendChild(li);
          });
          box.hidden = items.length === 0;
        })
        .catch(function () { box.hidden = true; });
    }
    Array.prototype.forEach.call(fields, function (f) {
      f.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(query, 400); });
    });
  }

  // SLA countdowns: every badge counts down each minute and changes colour at the thresholds.
  function countdowns() {
    var badges = document.querySelectorAll("[data-due][data-total]");
    if (!badges.length) return;
    var words = document.documentElement.lang === "en" ? ["left", "over"] : ["tersisa", "lewat"];
    function human(minutes) {
      var m = Math.abs(minutes), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), r = m % 60;
      return (d ? d + "h " : "") + (d || h ? h + "j " : "") + r + "m";
    }
    function tick() {
      var now = Date.now();
      Array.prototype.forEach.call(badges, function (b) {
        if (b.dataset.state !== "running") return;
        var due = Date.parse(b.dataset.due), total = Number(b.dataset.total);
        var warn = Number(b.dataset.warn || 75), crit = Number(b.dataset.crit || 90);
        // Wall-clock minutes approximate business minutes between refreshes; the server's
        // figure is exact at every page load.
        var left = Math.round((due - now) / 60000);
        if (b.dataset.business === "1" && left > 0) return;
        var used = total > 0 ? 100 * (1 - left / total) : 100;
        b.classList.remove("ok", "warn", "crit", "late");
        b.classList.add(left < 0 ? "late" : used >= crit && crit > warn ? "crit" : used >= warn ? "warn" : "ok");
        b.textContent = left < 0 ? words[1] + " " + human(left) : human(left) + " " + words[0];
      });
    }
    tick();
    setInterval(tick, 60000);
  }

  function backLinks() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-back]"), function (a) {
      a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
    });
  }

  function confirmations() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (f) {
      f.addEventListener("submit", function (e) { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); });
    });
  }

  // The queue's bulk form: only the fields of the chosen action are shown (and required), and
  // "all on this page" ticks every row. Without script all fields show and the server checks.
  function bulkForm() {
    var form = document.querySelector("form[data-bulk]");
    if (!form) return;
    var select = form.querySelector("select[name=aksi]");
    var groups = form.querySelectorAll("[data-bulk-for]");
    function show() {
      Array.prototype.forEach.call(groups, function (g) {
        var on = g.getAttribute("data-bulk-for").split(" ").indexOf(select.value) >= 0;
        g.hidden = !on;
        Array.prototype.forEach.call(g.querySelectorAll("input, select, textarea"), function (field) {
          field.disabled = !on;
          var needed = (field.getAttribute("data-required-for") || "").split(" ");
          field.required = on && needed.indexOf(select.value) >= 0;
        });
      });
    }
    select.addEventListener("change", show);
    show();
    var page = form.querySelector("[data-select-page]");
    // Looked up each time: the live console replaces the rows.
    function boxes() { return document.querySelectorAll("input[type=checkbox][form=massal]"); }
    page.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes(), function (b) { b.checked = page.checked; });
    });
    // Unticking one row after "all on this page" means "not all": the server must use the
    // ticked rows, not the whole page.
    document.addEventListener("change", function (e) {
      var b = e.target;
      if (b && b.matches && b.matches("input[type=checkbox][form=massal]") && !b.checked) page.checked = false;
    });
  }

  // The reply form's canned replies: a search box narrows the list, and picking one puts its
  // filled-in text in the reply box (unless the agent has written something else there).
  function cannedReplies() {
    var box = document.querySelector("[data-canned]");
    if (!box) return;
    var select = box.querySelector("select");
    var filter = box.querySelector("[data-canned-filter]");
    var reply = document.getElementById("reply");
    var inserted = "";
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(select.options, function (o) {
        if (!o.value) return;
        var text = o.textContent.toLowerCase();
        o.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
    });
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = option && option.getAttribute("data-text") || "";
      if (reply.value === "" || reply.value === inserted) {
        reply.value = text;
        inserted = text;
      }
    });
  }

  // The live console (issue 15): the queue and the ticket page refresh the parts that changed
  // when the desk says so (Server-Sent Events); a colleague writing a reply is shown; a reply
  // on a ticket that changed since the page was opened asks first. Without script: reload.
  function live() {
    var marker = document.querySelector("[data-live]");
    if (!marker || !window.EventSource || !window.fetch || !window.DOMParser) return;
    var kind = marker.getAttribute("data-live");
    var number = marker.getAttribute("data-number");
    var me = marker.getAttribute("data-me");
    var parts = (marker.getAttribute("data-live-parts") || "").split(",");
    var timer = null, changed = false, typingTimer = null;
    function refresh() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) return;
            var fresh = new DOMParser().parseFromString(html, "text/html");
            var ticked = Array.prototype.map.call(document.querySelectorAll("input[name=nomor]:checked"), function (b) { return b.value; });
            parts.forEach(function (name) {
              var now = document.querySelector("[data-live-part='" + name + "']");
              var next = fresh.querySelector("[data-live-part='" + name + "']");
              if (now && next) { now.replaceWith(document.importNode(next, true)); }
            });
            ticked.forEach(function (n) {
              var box = document.querySelector("input[name=nomor][value='" + n + "']");
              if (box) box.checked = true;
            });
            document.dispatchEvent(new CustomEvent("meja:refreshed"));
          })
          .catch(function () {});
      }, 250);
    }
    var source = new EventSource("/konsol/langsung");
    source.addEventListener("ticket", function (e) {
      var d = JSON.parse(e.data);
      if (kind === "queue") { refresh(); return; }
      if (d.number !== number) return;
      if (d.actor !== me) changed = true;
      refresh();
    });
    source.addEventListener("reload", refresh);
    if (kind !== "ticket") return;
    var notice = document.querySelector("[data-typing]");
    source.addEventListener("typing", function (e) {
      var d = JSON.parse(e.data);
      if (d.number !== number || d.actor === me || !notice) return;
      notice.textContent = d.actor + " " + marker.getAttribute("data-typing-text");
      notice.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { notice.hidden = true; }, 15000);
    });
    var form = document.querySelector("[data-reply-form]");
    if (!form) return;
    var csrf = form.querySelector("input[name=csrf]");
    var said = 0;
    form.addEventListener("input", function () {
      if (!csrf || Date.now() - said < 5000) return;
      said = Date.now();
      fetch("/konsol/tiket/" + encodeURIComponent(number) + "/mengetik", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "csrf=" + encodeURIComponent(csrf.value)
      }).catch(function () {});
    });
    form.addEventListener("submit", function (e) {
      if (changed && !window.confirm(marker.getAttribute("data-changed-text"))) e.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    suggestions(); countdowns(); backLinks(); confirmations(); bulkForm(); cannedReplies(); live();
  });
})();
