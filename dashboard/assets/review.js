// The review panel names the runs its buttons act on: the selection, by the names the runs
// table holds (no request to the server). As dashboard/review_panel.py's messages name them:
// three names, then how many more.
(function () {
  var NAMED = 3;
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.lossboard = Object.assign({}, window.dash_clientside.lossboard, {
    reviewTargets: function (selected, rows) {
      if (!selected || !selected.length) {
        return 'Nothing selected: tick runs in the table or click points on the scatter.';
      }
      var names = {};
      (rows || []).forEach(function (row) { names[row.run_id] = row.run_name || row.run_id; });
      var shown = selected.slice(0, NAMED).map(function (id) { return names[id] || id; });
      if (selected.length > NAMED) { shown.push((selected.length - NAMED) + ' more'); }
      var listed = shown.length === 1 ? shown[0]
        : shown.slice(0, -1).join(', ') + ' and ' + shown[shown.length - 1];
      return 'Acts on ' + listed + '.';
    }
  });
})();
