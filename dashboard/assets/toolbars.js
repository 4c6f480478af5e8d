// Chart toolbars out of the Tab order: keyboard users reach the controls and the table without
// walking through ten buttons per chart (the toolbar still works with the mouse). Plotly draws
// its toolbar whenever a chart is drawn, so new buttons are caught as they appear; the live
// collection keeps each check to the ~50 buttons, not a walk of the page.
(function () {
  var buttons = document.getElementsByClassName('modebar-btn');
  function untab() {
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].tabIndex !== -1) buttons[i].tabIndex = -1;
    }
  }
  new MutationObserver(untab).observe(document.documentElement, {childList: true, subtree: true});
})();
