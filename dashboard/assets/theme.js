// The runs table (AG Grid) in the browser's colour scheme, switching when the system does.
(function () {
  var dark = window.matchMedia('(prefers-color-scheme: dark)');
  function apply() { document.body.dataset.agThemeMode = dark.matches ? 'dark' : 'light'; }
  document.addEventListener('DOMContentLoaded', apply);
  dark.addEventListener('change', apply);
})();
