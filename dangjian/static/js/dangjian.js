// Site-wide behaviour that must not live inline (the CSP forbids inline scripts).
document.addEventListener("htmx:configRequest", function (evt) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) evt.detail.headers["X-CSRFToken"] = token.content;
});
// Chinese message when a partial request fails, instead of silence.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.getElementById("global-alert");
  if (!box) return;
  var status = evt.detail.xhr.status;
  box.textContent = status === 403 ? "您没有权限执行此操作。" : status === 404 ? "未找到，或您无权查看。" : "操作未完成，请稍后重试（" + status + "）。";
  box.classList.remove("d-none");
});
document.addEventListener("change", function (evt) {
  var el = evt.target;
  if (el && el.matches && el.matches("select[data-autosubmit]")) el.form.submit();
});
// A touch-friendly multi-select (the dispatch board's 承办党员): checkboxes in a list with a
// search box, instead of a <select multiple> that needs Ctrl on a desktop and is a tiny wheel
// on a phone. The people come once per page from a JSON island (json_script); a picker builds
// its checkboxes the first time it is opened, so a page of cards does not hold them all.
document.addEventListener("alpine:init", function () {
  window.Alpine.data("peoplePicker", function (sourceId) {
    return {
      open: false,
      loaded: false,
      q: "",
      chosen: [],
      people: [],
      toggle: function () {
        if (!this.loaded) {
          var src = document.getElementById(sourceId);
          this.people = src ? JSON.parse(src.textContent) : [];
          this.loaded = true;
        }
        this.open = !this.open;
      },
      matches: function (person) {
        var q = this.q.trim();
        return !q || person[1].indexOf(q) !== -1 || (person[2] || "").indexOf(q) !== -1;
      },
      summary: function () {
        if (!this.chosen.length) return "点此选择（可多选）";
        var byId = {};
        this.people.forEach(function (p) { byId[String(p[0])] = p[1]; });
        return "已选 " + this.chosen.length + " 人：" + this.chosen.map(function (id) { return byId[id]; }).join("、");
      },
    };
  });
});
// Folds a phone closes (details[data-open-md], e.g. the home page's charts) open by themselves
// from Tabler's md breakpoint up, where there is room to read them.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.matchMedia("(min-width: 768px)").matches) return;
  document.querySelectorAll("details[data-open-md]").forEach(function (d) { d.open = true; });
});
