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
