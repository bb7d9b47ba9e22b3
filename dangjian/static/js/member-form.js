// The member form's instant 公民身份号码 check: asks /api/v1/members/check-id and fills in the
// birth date and sex it encodes. Defined before Alpine starts (this script is not deferred).
window.idCheck = function () {
  return {
    valid: null,
    message: "",
    init: function () {
      var self = this;
      var input = this.$root.querySelector("[data-id-check]");
      if (!input) return;
      input.addEventListener("input", function () {
        var value = input.value.trim().toUpperCase();
        if (value.length < 18) { self.valid = null; self.message = value ? "还需 " + (18 - value.length) + " 位" : ""; return; }
        var token = document.querySelector('meta[name="csrf-token"]');
        fetch("/api/v1/members/check-id", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.content : "" },
          body: JSON.stringify({ id_number: value })
        }).then(function (r) { return r.json(); }).then(function (data) {
          self.valid = !!data.valid;
          self.message = data.message || "";
          if (data.valid) {
            var birth = self.$root.querySelector("[name=birth_date]");
            if (birth && !birth.value) birth.value = data.birth_date;
            var sex = self.$root.querySelector("[name=sex]");
            if (sex && !sex.value) sex.value = data.sex === "male" ? "1" : "2";
          }
        }).catch(function () { self.valid = null; self.message = ""; });
      });
    }
  };
};
