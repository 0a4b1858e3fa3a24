/* KCE Report Kit – navigation drawer and offline search.
   Search runs entirely in the page: the vendored MiniSearch indexes the documents that
   search-data.js puts in window.KCE_SEARCH_DATA.  Both are plain <script> files, so the
   search also works when the site is opened from file:// (where fetch() is refused).
   Results are built with DOM methods only: no text from the data is parsed as HTML. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  /* ---- navigation drawer on small screens ---- */
  var toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && document.body.classList.contains("nav-open")) {
      document.body.classList.remove("nav-open");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });

  /* ---- a link symbol on section headings, to copy a section's address ---- */
  var heads = document.querySelectorAll(".page-body section[id] > h2, .page-body section[id] > h3, .page-body section[id] > h4");
  Array.prototype.forEach.call(heads, function (h) {
    var a = document.createElement("a");
    a.className = "anchor-link";
    a.href = "#" + h.parentNode.id;
    a.setAttribute("aria-label", "Link to this section");
    a.textContent = "#";
    h.appendChild(a);
  });

  var current = document.querySelector(".toc-item.current");
  var sidebar = document.querySelector(".sidebar");
  if (current && sidebar && current.offsetTop > sidebar.clientHeight * 0.6) {
    sidebar.scrollTop = current.offsetTop - 80;
  }

  /* ---- tabsets (WAI-ARIA tabs pattern): without this script every panel shows under its
     own title; with it, one panel at a time, arrows/Home/End move between the tabs ---- */
  Array.prototype.forEach.call(document.querySelectorAll(".panel-tabset"), function (set) {
    var tabs = Array.prototype.slice.call(set.querySelectorAll(":scope > .tab-list > [role=tab]"));
    function select(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        var panel = document.getElementById(t.getAttribute("aria-controls"));
        if (panel) panel.hidden = !on;
      });
      if (focus) tab.focus();
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(tab, false); });
      tab.addEventListener("keydown", function (e) {
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
        if (next === undefined) return;
        e.preventDefault();
        select(tabs[(next + tabs.length) % tabs.length], true);
      });
    });
    if (tabs.length) select(tabs[0], false);
  });

  /* ---- tables: a table whose narrowest layout is wider than the text column gets the free
     room beside it (.table-wide, site.css); a box that then still scrolls is a focusable,
     named region (arrow keys scroll it), one with nothing to scroll leaves the tab order and
     the landmarks.  Browsers without CSS scroll-driven animations get the scroll cue
     (sticky column shadow, edge fade) from the classes set here. ---- */
  var timelines = !!(window.CSS && CSS.supports && CSS.supports("animation-timeline: scroll()"));
  var NAME_ATTRS = ["aria-labelledby", "aria-label"];

  function cue(box) {
    if (timelines) return;
    var hidden = box.scrollWidth - box.clientWidth;
    box.classList.toggle("can-scroll-start", hidden > 1 && box.scrollLeft > 1);
    box.classList.toggle("can-scroll-end", hidden > 1 && box.scrollLeft < hidden - 1);
  }

  function region(box, on) {
    if (!box.qwName) {  // the name the page was written with, kept while it is not a region
      box.qwName = NAME_ATTRS.filter(function (a) { return box.hasAttribute(a); })
        .map(function (a) { return [a, box.getAttribute(a)]; });
    }
    if (on) {
      box.setAttribute("role", "region");
      box.setAttribute("tabindex", "0");
      box.qwName.forEach(function (kv) { box.setAttribute(kv[0], kv[1]); });
    } else {
      ["role", "tabindex"].concat(NAME_ATTRS).forEach(function (a) { box.removeAttribute(a); });
    }
  }

  function fitTables() {
    // Reads and writes in batches: one layout to measure every table, one to check the boxes.
    var frames = Array.prototype.map.call(document.querySelectorAll(".table-wrap"), function (wrap) {
      var box = wrap.querySelector(":scope > .table-scroll");
      return { wrap: wrap, box: box, table: box && box.querySelector(":scope > table") };
    }).filter(function (f) { return f.table && f.wrap.offsetParent; });  // not in a closed tab
    frames.forEach(function (f) {
      f.wrap.classList.remove("table-wide");
      f.table.style.flex = "none";
      f.table.style.width = "min-content";
    });
    frames.forEach(function (f) {
      f.wide = f.table.getBoundingClientRect().width > f.wrap.clientWidth + 0.5;
    });
    frames.forEach(function (f) {
      f.table.style.flex = f.table.style.width = "";
      if (f.wide) f.wrap.classList.add("table-wide");
    });
    frames.forEach(function (f) { f.scrolls = f.box.scrollWidth > f.box.clientWidth + 1; });
    frames.forEach(function (f) {
      region(f.box, f.scrolls);
      cue(f.box);
      if (!f.box.qwCue) {
        f.box.qwCue = true;
        f.box.addEventListener("scroll", function () { cue(f.box); }, { passive: true });
      }
    });
  }
  function placeMark() {
    // What the reader is looking at: the link's target, else what sits under the header.
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var top = target && target.getBoundingClientRect().top;
    if (!target || top < 0 || top > window.innerHeight) {
      var header = document.querySelector(".site-header");
      var y = (header ? header.getBoundingClientRect().bottom : 0) + 8;
      target = document.elementFromPoint(window.innerWidth / 2, y);
    }
    return target ? { el: target, top: target.getBoundingClientRect().top } : null;
  }
  function fitInPlace() {
    // Tables change height as they are fitted: keep the reader's place (or a link's target,
    // already scrolled to) where it was on the screen.
    var mark = placeMark();
    fitTables();
    if (mark) window.scrollBy(0, mark.el.getBoundingClientRect().top - mark.top);
  }
  var fitting = 0;
  function refit() {
    cancelAnimationFrame(fitting);
    fitting = requestAnimationFrame(fitInPlace);
  }
  fitInPlace();
  window.addEventListener("resize", refit);
  document.addEventListener("toggle", refit, true);  // a <details> opened
  document.addEventListener("click", function (e) {  // a tab selected
    if (e.target.closest && e.target.closest("[role=tab]")) refit();
  });
  document.addEventListener("keyup", function (e) {
    if (e.target.closest && e.target.closest("[role=tab]")) refit();
  });
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(refit);

  /* ---- folded callouts and code (<details>) print unfolded, then fold back ---- */
  var printOpened = [];
  window.addEventListener("beforeprint", function () {
    printOpened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    printOpened.forEach(function (d) { d.open = false; });
    printOpened = [];
  });

  /* ---- search ---- */
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!input || !list) return;

  var engine = null;
  var docs = null;
  var loading = null;
  var selected = -1;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }

  function ensureIndex() {
    if (loading) return loading;
    var scripts = [];
    // Resources sit beside the search data (a lone document keeps them in <stem>_files/).
    var base = input.getAttribute("data-search-data").replace(/search-data\.js$/, "");
    if (!window.MiniSearch) scripts.push(loadScript(base + "assets/vendor/minisearch/minisearch.umd.js"));
    if (!window.KCE_SEARCH_DATA) scripts.push(loadScript(input.getAttribute("data-search-data")));
    loading = Promise.all(scripts).then(function () {
      docs = window.KCE_SEARCH_DATA || [];
      engine = new window.MiniSearch({
        idField: "i",
        fields: ["title", "text"],
        storeFields: [],
        searchOptions: { boost: { title: 3 }, prefix: true, fuzzy: 0.15, combineWith: "AND" }
      });
      engine.addAll(docs.map(function (d, i) { return { i: i, title: d.title, text: d.text }; }));
    });
    return loading;
  }

  function terms(query) {
    return query.toLowerCase().split(/[\s\p{P}]+/u).filter(function (t) { return t.length > 0; });
  }

  function snippet(text, words) {
    var lower = text.toLowerCase();
    var at = -1;
    for (var k = 0; k < words.length && at < 0; k++) at = lower.indexOf(words[k]);
    if (at < 0) at = 0;
    var start = Math.max(0, at - 60);
    var end = Math.min(text.length, at + 140);
    /* cut at word boundaries */
    if (start > 0) { var sp = text.indexOf(" ", start); if (sp >= 0 && sp < at) start = sp + 1; }
    if (end < text.length) { var ep = text.lastIndexOf(" ", end); if (ep > at) end = ep; }
    return (start > 0 ? "… " : "") + text.slice(start, end) + (end < text.length ? " …" : "");
  }

  function appendMarked(parent, text, words) {
    /* Wrap every occurrence of a query word in <mark>, using text nodes only. */
    var lower = text.toLowerCase();
    var pos = 0;
    while (pos < text.length) {
      var best = -1, len = 0;
      for (var k = 0; k < words.length; k++) {
        var j = lower.indexOf(words[k], pos);
        if (j >= 0 && (best < 0 || j < best)) { best = j; len = words[k].length; }
      }
      if (best < 0) break;
      parent.appendChild(document.createTextNode(text.slice(pos, best)));
      var m = document.createElement("mark");
      m.textContent = text.slice(best, best + len);
      parent.appendChild(m);
      pos = best + len;
    }
    parent.appendChild(document.createTextNode(text.slice(pos)));
  }

  function show(query) {
    list.textContent = "";
    selected = -1;
    if (!query.trim()) { list.hidden = true; status.textContent = ""; return; }
    var hits = engine.search(query).slice(0, 12);
    var words = terms(query);
    if (!hits.length) {
      var li = document.createElement("li");
      li.className = "search-empty";
      li.textContent = "No results for “" + query + "”";
      list.appendChild(li);
    }
    hits.forEach(function (hit) {
      var d = docs[hit.id];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = d.url;
      var t = document.createElement("span");
      t.className = "search-result-title";
      appendMarked(t, d.title, words);
      var p = document.createElement("span");
      p.className = "search-result-page";
      p.textContent = d.page;
      var s = document.createElement("span");
      s.className = "search-result-snippet";
      appendMarked(s, snippet(d.text, words), words);
      a.appendChild(t);
      if (d.page !== d.title) a.appendChild(p);
      a.appendChild(s);
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = false;
    status.textContent = hits.length + (hits.length === 1 ? " result" : " results");
  }

  function move(step) {
    var links = list.querySelectorAll("a");
    if (!links.length) return;
    if (selected >= 0) links[selected].removeAttribute("aria-selected");
    selected = (selected + step + links.length) % links.length;
    links[selected].setAttribute("aria-selected", "true");
    links[selected].scrollIntoView({ block: "nearest" });
  }

  var timer = null;
  input.addEventListener("focus", function () { ensureIndex(); });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      ensureIndex().then(function () { show(input.value); }, function (err) {
        status.textContent = "Search is unavailable: " + err.message;
      });
    }, 80);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Enter") {
      var links = list.querySelectorAll("a");
      var target = links[selected >= 0 ? selected : 0];
      if (target) { e.preventDefault(); window.location.href = target.href; }
    } else if (e.key === "Escape") { input.value = ""; show(""); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== input &&
        !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      e.preventDefault();
      input.focus();
    }
  });
})();
