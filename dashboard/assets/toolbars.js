// Chart toolbars out of the Tab order: keyboard users reach the controls and the table without
// walking through ten buttons per chart (the toolbar still works with the mouse). Plotly draws
// its toolbar whenever a chart is drawn, so new buttons are caught as they appear.
(function () {
  function untab(root) {
    root.querySelectorAll('.modebar-btn').forEach(function (button) {
      if (button.getAttribute('tabindex') !== '-1') button.setAttribute('tabindex', '-1');
    });
  }
  new MutationObserver(function () { untab(document); })
    .observe(document.documentElement, {childList: true, subtree: true});
})();
