// The run drawer as a dialog is expected to behave: focus moves into it when it opens (to its
// Close button, first in it), and Escape closes it.
(function () {
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.lossboard = Object.assign({}, window.dash_clientside.lossboard, {
    focusDrawer: function (hidden) {
      if (!hidden) {
        setTimeout(function () {
          var close = document.getElementById('run-drawer-close');
          if (close) { close.focus(); }
        }, 0);
      }
      return window.dash_clientside.no_update;
    }
  });
  document.addEventListener('keydown', function (event) {
    var drawer = document.getElementById('run-drawer');
    if (event.key === 'Escape' && drawer && !drawer.hidden) {
      document.getElementById('run-drawer-close').click();
    }
  });
})();
