// The letter page's print button (the CSP forbids inline handlers).
document.addEventListener("click", function (evt) {
  var el = evt.target;
  if (el && el.closest && el.closest("[data-print]")) window.print();
});
