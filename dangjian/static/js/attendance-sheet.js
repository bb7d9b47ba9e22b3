// The attendance sheet on a meeting page: totals and quorum computed live from the form's own
// selects (the same rule as the server's quorum check), 全部出席 for the members still marked
// 缺席, and a warning before leaving the page with unsaved marks. Defined before Alpine starts
// (this script is not deferred).
window.attendanceSheet = function () {
  var HERE = { present: true, late: true };
  return {
    counts: { invited: 0, present: 0, late: 0, excused: 0, absent: 0, voting: 0, votingPresent: 0, committee: 0, committeePresent: 0 },
    dirty: false,
    saving: false,
    init: function () {
      var self = this;
      this.refresh();
      window.addEventListener("beforeunload", function (event) {
        if (self.dirty && !self.saving) { event.preventDefault(); event.returnValue = ""; }
      });
    },
    selects: function () {
      return this.$root.querySelectorAll("select[data-att-status]");
    },
    refresh: function () {
      var c = { invited: 0, present: 0, late: 0, excused: 0, absent: 0, voting: 0, votingPresent: 0, committee: 0, committeePresent: 0 };
      this.selects().forEach(function (s) {
        var here = !!HERE[s.value];
        c.invited += 1;
        if (s.value in c) c[s.value] += 1;
        if (s.dataset.voting === "1") { c.voting += 1; if (here) c.votingPresent += 1; }
        if (s.dataset.committee === "1") { c.committee += 1; if (here) c.committeePresent += 1; }
      });
      this.counts = c;
    },
    changed: function () {
      this.dirty = true;
      this.refresh();
    },
    allPresent: function () {
      this.selects().forEach(function (s) {
        if (s.value === "absent") {
          s.value = "present";
          s.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
      this.changed();
    },
    // 党员大会: more than half of the full members present (services.quorum_check).
    generalShort: function () {
      return this.$root.dataset.quorumGeneral === "1" && this.counts.votingPresent * 2 <= this.counts.voting;
    },
    // 支委会: more than half of the committee members present, when their posts are recorded.
    committeeShort: function () {
      return this.$root.dataset.quorumCommittee === "1" && this.counts.committee > 0 &&
        this.counts.committeePresent * 2 <= this.counts.committee;
    },
    committeeUnknown: function () {
      return this.$root.dataset.quorumCommittee === "1" && this.counts.committee === 0;
    }
  };
};
