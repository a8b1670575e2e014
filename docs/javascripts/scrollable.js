// A table or formula wider than the screen scrolls inside its own box. Such a box
// must be reachable from the keyboard (WCAG 2.1.1), so it takes focus while it
// scrolls, and gives it up when it fits again (on a wider screen).
(() => {
  const selector = ".md-typeset__scrollwrap, .md-typeset math[display='block']";
  const update = () => {
    for (const box of document.querySelectorAll(selector)) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
      } else {
        box.removeAttribute("tabindex");
      }
    }
  };
  // Material wraps tables in their scroll boxes after the page has loaded.
  window.addEventListener("load", () => {
    update();
    new ResizeObserver(update).observe(document.body);
  });
})();
