// The runs table by seed group (dashboard/units.py): a group's row opens to its runs, which
// the server sends with `member_of` and the grid hides until their group is open. AG Grid's
// own tree and row grouping are Enterprise features; this is the community grid's external
// filter, a post-sort step that keeps each group's runs under it, and a click on the name.
(function () {
  var open = new Set();  // the ids of the open groups, kept across redraws of the table
  var functions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

  functions.lossboardFiltering = function () { return true; };

  functions.lossboardShown = function (node) {
    var group = node.data && node.data.member_of;
    return !group || open.has(group);
  };

  // After any sort: each group's runs right under their group, in the sorted order.
  functions.lossboardKeepGroups = function (params) {
    var nodes = params.nodes, members = {}, top = [];
    nodes.forEach(function (node) {
      var group = node.data && node.data.member_of;
      if (group) { (members[group] = members[group] || []).push(node); } else { top.push(node); }
    });
    var ordered = [];
    top.forEach(function (node) {
      ordered.push(node);
      var under = members[node.data.run_id];
      if (under) { ordered.push.apply(ordered, under); delete members[node.data.run_id]; }
    });
    Object.keys(members).forEach(function (group) { ordered.push.apply(ordered, members[group]); });
    nodes.splice.apply(nodes, [0, nodes.length].concat(ordered));
  };

  // Four decimals; a seed group's mean with its standard deviation (`<field>_std`) beside it.
  functions.lossboardNumber = function (params) {
    if (params.value == null) { return ''; }
    var spread = params.data && params.data[params.colDef.field + '_std'];
    return params.value.toFixed(4) + (spread == null ? '' : ' ± ' + spread.toFixed(4));
  };

  // A group's name with its state (▸ closed, ▾ open), a member's under its group (└).
  functions.lossboardRunName = function (params) {
    var data = params.data || {};
    if (data.members) { return (open.has(data.run_id) ? '▾ ' : '▸ ') + params.value; }
    return data.member_of ? '└ ' + params.value : params.value;
  };

  // The clientside callback on a cell click: a click on a group's name opens or closes it.
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.lossboard = Object.assign({}, window.dash_clientside.lossboard, {
    toggleGroup: function (click, gridId) {
      var noUpdate = window.dash_clientside.no_update;
      var api = click && window.dash_ag_grid && window.dash_ag_grid.getApi(gridId);
      var node = api && click.colId === 'run_name' && api.getRowNode(click.rowId);
      if (!node || !node.data || !node.data.members) { return noUpdate; }
      if (open.has(node.data.run_id)) { open.delete(node.data.run_id); } else { open.add(node.data.run_id); }
      api.onFilterChanged();
      api.refreshCells({rowNodes: [node], columns: ['run_name'], force: true});
      return Array.from(open);
    }
  });
})();
