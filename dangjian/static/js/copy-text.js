// 复制 buttons (tracking code, private link): x-data="copyText" around an element with
// x-ref="source" (an input's value, or the element's text). The Clipboard API needs a secure
// context (https or localhost); elsewhere, and on older phone browsers, a selected off-screen
// textarea and execCommand("copy") do it; if both fail the text is selected for a long press.
// Defined before Alpine starts (this script is deferred and loaded before Alpine).
window.copyText = function () {
  return {
    state: "",
    label: function (idle) {
      return this.state === "done" ? "已复制" : this.state === "failed" ? "请长按复制" : idle;
    },
    copy: function () {
      var self = this;
      var source = this.$refs.source;
      var text = (source.value !== undefined ? source.value : source.textContent).trim();
      var done = function () {
        self.state = "done";
        setTimeout(function () { self.state = ""; }, 2000);
      };
      var fallback = function () {
        var area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.top = "0";
        area.style.left = "-9999px";
        document.body.appendChild(area);
        area.select();
        area.setSelectionRange(0, text.length); // iOS Safari ignores select() alone
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        document.body.removeChild(area);
        if (ok) { done(); return; }
        self.state = "failed";
        if (source.select) { source.focus(); source.select(); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    }
  };
};
